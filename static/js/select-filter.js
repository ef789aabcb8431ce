// A long <select> (the council form's 1,700+ municipalities, grouped by prefecture) gets a text box above it that
// narrows its options to those whose name or code holds what was typed (a prefecture's name keeps its whole group).
// Without JS the select works as it is. The options are rebuilt rather than hidden: phones' pickers ignore `hidden`.
(function () {
  "use strict";

  function fold(text) {
    return (text || "").normalize("NFKC").toLowerCase().trim();
  }

  function enhance(select, index) {
    const groups = Array.from(select.children).map((child) => ({
      node: child,
      label: child.tagName === "OPTGROUP" ? fold(child.label) : null,
      options: child.tagName === "OPTGROUP" ? Array.from(child.children) : [],
    }));
    const box = document.createElement("div");
    box.className = "select-filter";
    const id = `${select.id || "select-" + index}-filter`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = select.dataset.selectFilter;
    const input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.autocomplete = "off";
    input.setAttribute("aria-controls", select.id);
    const count = document.createElement("p");
    count.className = "help";
    count.id = `${id}-count`;
    count.setAttribute("aria-live", "polite");
    input.setAttribute("aria-describedby", count.id);
    box.append(label, input, count);
    select.before(box);

    function apply() {
      const query = fold(input.value);
      const chosen = select.value;
      let shown = 0;
      select.replaceChildren();
      groups.forEach((group) => {
        if (group.label === null) {  // an option outside the groups, e.g. 「（なし）」: always offered
          select.append(group.node);
          return;
        }
        const whole = !query || group.label.includes(query);
        const kept = group.options.filter((o) => whole || o.value === chosen || fold(o.textContent).includes(query));
        group.node.replaceChildren(...kept);
        if (kept.length) select.append(group.node);
        shown += kept.filter((o) => o.value !== chosen || whole || fold(o.textContent).includes(query)).length;
      });
      select.value = chosen;  // filtering never changes the choice
      count.textContent = query ? (shown ? `${shown}件が該当します` : "該当するものはありません") : "";
    }

    input.addEventListener("input", apply);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {  // not a submit of the half-filled form: go to the narrowed list
        event.preventDefault();
        select.focus();
      }
    });
  }

  function setup() {
    document.querySelectorAll("select[data-select-filter]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
