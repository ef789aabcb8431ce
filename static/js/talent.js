// 人材: a suggested 「できること」 button selects that item among the required ones (the form works without it).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-capability]");
  if (!button) return;
  const select = document.getElementById("id_required");
  if (!select) return;
  const option = [...select.options].find((o) => o.value === button.dataset.capability);
  if (option) {
    option.selected = true;
    button.setAttribute("aria-pressed", "true");
    const status = document.getElementById("site-status");
    if (status) status.textContent = `「${option.textContent}」を必須に加えました`;
  }
});
