// 進捗入力 (templates progress/entry.html): keeps focus on a row after its htmx save and announces the result,
// asks before leaving with unsaved rows, and saves every changed row with one button.
(function () {
  "use strict";

  const table = document.querySelector("table.progress-entry");
  if (!table) { return; }
  const live = document.getElementById("entry-live");
  const saveAll = document.getElementById("entry-save-all");

  function controlsOf(row) {
    const form = row.querySelector("form");
    return form ? Array.from(form.elements).filter((el) => el.name && el.type !== "hidden") : [];
  }

  // What the row held when last saved. A refused row shows what was typed, which is not saved: no snapshot can
  // equal it, so it stays counted until it is saved.
  function snapshot(row) {
    row._chiikiSaved = row.dataset.refused ? "\u0001refused" : controlsOf(row).map((el) => el.value).join("\u0000");
  }

  function isDirty(row) {
    return row._chiikiSaved !== undefined && controlsOf(row).map((el) => el.value).join("\u0000") !== row._chiikiSaved;
  }

  function rows() { return Array.from(table.querySelectorAll("tbody tr.progress-entry__row")); }
  function dirtyRows() { return rows().filter(isDirty); }

  function refresh() {
    rows().forEach((row) => row.classList.toggle("progress-entry__row--dirty", isDirty(row)));
    if (saveAll) {
      const count = dirtyRows().length;
      saveAll.disabled = count === 0;
      saveAll.textContent = count ? "変更した" + count + "行をまとめて保存" : "変更した行をまとめて保存";
    }
  }

  function announce(text) {
    if (!live) { return; }
    live.textContent = "";
    // New text in a live region that is already on the page is what screen readers announce.
    window.setTimeout(() => { live.textContent = text; }, 50);
  }

  function rowLabel(row) {
    const label = row.querySelector("th label");
    return label ? label.textContent.trim() : "";
  }

  function statusText(row) {
    const status = row.querySelector(".progress-entry__status");
    return status ? status.textContent.replace(/\s+/g, " ").trim() : "";
  }

  rows().forEach(snapshot);
  refresh();
  table.addEventListener("input", refresh);
  table.addEventListener("change", refresh);

  let batch = null; // while saving all rows: focus stays on the button and one summary is announced

  document.body.addEventListener("htmx:afterSwap", (event) => {
    const row = event.detail.target && document.getElementById(event.detail.target.id);
    if (!row || !row.classList.contains("progress-entry__row")) { return; }
    snapshot(row);
    refresh();
    const result = rowLabel(row) + ": " + (statusText(row) || "保存しました");
    if (batch) {
      batch.results.push(result);
      return;
    }
    // A refused row: focus goes to the field to correct (its message is its description); else back to 保存.
    const target = row.querySelector("[aria-invalid=true]") || row.querySelector("button[type=submit]");
    if (target) { target.focus(); }
    announce(result);
  });

  document.addEventListener("chiiki:session-ended", (event) => {
    const row = event.detail.target;
    if (row && row.classList && row.classList.contains("progress-entry__row")) {
      if (batch) { batch.stopped = true; } else { announce(statusText(row)); }
    }
  });

  // One row's save, resolved once its answer is in place: the re-rendered row has settled, or (401, an error, no
  // connection) the request ended without a swap. A swapped-out form's own events no longer reach the document.
  function submitRow(row) {
    const form = row.querySelector("form");
    const id = row.id;
    return new Promise((resolve) => {
      const names = ["htmx:afterSettle", "htmx:afterRequest", "htmx:sendError"];
      const done = (event) => {
        const settled = event.type === "htmx:afterSettle" && event.detail.target && event.detail.target.id === id;
        const failed = event.type !== "htmx:afterSettle" && event.detail.elt === form && form.isConnected &&
          (event.type === "htmx:sendError" || event.detail.xhr.status >= 400);
        if (!settled && !failed) { return; }
        names.forEach((name) => document.body.removeEventListener(name, done));
        resolve();
      };
      names.forEach((name) => document.body.addEventListener(name, done));
      htmx.trigger(form, "submit");
    });
  }

  if (saveAll) {
    saveAll.hidden = false;
    saveAll.addEventListener("click", async () => {
      const pending = dirtyRows();
      if (!pending.length) { return; }
      batch = { results: [], stopped: false };
      saveAll.setAttribute("aria-busy", "true");
      for (const row of pending) {
        if (batch.stopped) { break; }
        await submitRow(row);
      }
      const done = batch;
      batch = null;
      saveAll.removeAttribute("aria-busy");
      refresh();
      saveAll.focus();
      announce(done.stopped ? "ログインの有効期限が切れたため、保存を中断しました。表の中の案内からログインし直してください。"
        : done.results.length + "行を処理しました。" + done.results.join("。"));
    });
  }

  // Leaving the page (a link, the 年度 form, closing the tab) with rows not yet saved asks first.
  window.addEventListener("beforeunload", (event) => {
    if (dirtyRows().length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
