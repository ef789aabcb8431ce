// 人材: a suggested 「できること」 button ticks that item among the required ones, pressed again unticks it (the form
// works without it). After 「できることの候補を見る」 the page opens on the suggestions, not at the top, so a keyboard
// user's next Tab is the first suggestion.
function requiredBox(capability) {
  return [...document.querySelectorAll("#request-form input[name=required]")].find((box) => box.value === capability);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-capability]");
  if (!button) return;
  const box = requiredBox(button.dataset.capability);
  if (box) {
    const adding = button.getAttribute("aria-pressed") !== "true";
    box.checked = adding;
    const group = box.closest("details");
    if (group) group.open = true;  // the ticked item is seen in the list, its sector folded open
    button.setAttribute("aria-pressed", adding ? "true" : "false");
    const status = document.getElementById("site-status");
    if (status) status.textContent = `「${box.closest("label").textContent.trim()}」を必須${adding ? "に加えました" : "から外しました"}`;
  }
});

function showPressed() {
  document.querySelectorAll("[data-capability]").forEach((button) => {
    const box = requiredBox(button.dataset.capability);
    button.setAttribute("aria-pressed", box && box.checked ? "true" : "false");
  });
}

// Items ticked in the list itself show on the suggestion buttons too.
document.addEventListener("change", (event) => { if (event.target.name === "required") showPressed(); });

document.addEventListener("DOMContentLoaded", () => {
  showPressed();
  const box = document.querySelector("#suggestions[data-focus-on-load]");
  if (box && !document.activeElement.closest("#main")) {  // errors in the form take focus first (chiiki.js)
    box.tabIndex = -1;
    box.focus();
  }
});
