// 人材: a suggested 「できること」 button adds that item to the required ones, pressed again takes it out (the form
// works without it). After 「できることの候補を見る」 the page opens on the suggestions, not at the top, so a keyboard
// user's next Tab is the first suggestion.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-capability]");
  if (!button) return;
  const select = document.getElementById("id_required");
  if (!select) return;
  const option = [...select.options].find((o) => o.value === button.dataset.capability);
  if (option) {
    const adding = button.getAttribute("aria-pressed") !== "true";
    option.selected = adding;
    button.setAttribute("aria-pressed", adding ? "true" : "false");
    const status = document.getElementById("site-status");
    if (status) status.textContent = `「${option.textContent}」を必須${adding ? "に加えました" : "から外しました"}`;
  }
});

function showPressed() {
  const select = document.getElementById("id_required");
  document.querySelectorAll("[data-capability]").forEach((button) => {
    const option = select && [...select.options].find((o) => o.value === button.dataset.capability);
    button.setAttribute("aria-pressed", option && option.selected ? "true" : "false");
  });
}

// Choices changed in the list itself (arrow keys replace them) show on the suggestion buttons too.
document.addEventListener("change", (event) => { if (event.target.id === "id_required") showPressed(); });

document.addEventListener("DOMContentLoaded", () => {
  showPressed();
  const box = document.querySelector("#suggestions[data-focus-on-load]");
  if (box && !document.activeElement.closest("#main")) {  // errors in the form take focus first (chiiki.js)
    box.tabIndex = -1;
    box.focus();
  }
});
