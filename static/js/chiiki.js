// Small site-wide behaviours. Page-specific scripts live beside this file.
(function () {
  "use strict";

  // Where a message about an htmx request goes: the target's own status area (a table row keeps its cells), else
  // the page's live region (#site-status in base.html). Never into a <tr> directly: that breaks the table.
  function statusFor(target) {
    const own = target && target.querySelector("[data-htmx-status], [role=status]");
    return own || document.getElementById("site-status");
  }

  function show(target, html) {
    const box = statusFor(target);
    if (box) { box.innerHTML = html; }
  }

  // 401: the session ended (chiiki.core.errors_views.session_ended_fragment). Show the server's message with its
  // login link; the row and what was typed in it stay as they are.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 401) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
      show(event.detail.target, event.detail.xhr.responseText);
      document.dispatchEvent(new CustomEvent("chiiki:session-ended", { detail: { target: event.detail.target } }));
    }
  });

  document.addEventListener("htmx:responseError", (event) => {
    if (event.detail.xhr.status === 401) { return; }
    show(event.detail.target, '<span class="message message--error" role="alert">保存できませんでした（' +
      event.detail.xhr.status + '）。時間をおいて再度お試しください。</span>');
  });

  // An htmx swap that replaced the focused element (the funding plan editor re-renders as a whole) would leave focus
  // on <body>, at the top of the page. Put it where the user was: on an error message in the new content, else the
  // same control of the same form (found by its hx-post URL), else the swapped-in content itself.
  let before = null;
  document.addEventListener("htmx:beforeRequest", (event) => {
    const active = document.activeElement;
    const form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    before = active && active !== document.body ? {
      url: form && (form.getAttribute("hx-post") || form.getAttribute("hx-get")), name: active.name || "",
      tag: active.tagName, text: active.tagName === "BUTTON" ? active.textContent.trim() : "",
      target: event.detail.target && event.detail.target.id } : null;
  });

  function focusable(el) {
    if (!el.getClientRects().length) {  // inside a closed <details>: its summary
      const details = el.closest("details:not([open])");
      return details ? details.querySelector("summary") : null;
    }
    if (!el.matches("input, select, textarea, button, a[href], summary, [tabindex]")) { el.tabIndex = -1; }
    return el;
  }

  document.addEventListener("htmx:afterSettle", () => {
    const saved = before;
    const active = document.activeElement;
    if (!saved || (active && active !== document.body && active.isConnected)) { return; }
    before = null;
    const area = saved.target && document.getElementById(saved.target);
    let next = area && area.querySelector(".message--error[role=alert], [aria-invalid=true]");
    if (!next && saved.url) {
      const form = Array.from(document.querySelectorAll("form")).find((f) =>
        (f.getAttribute("hx-post") || f.getAttribute("hx-get")) === saved.url);
      const same = form && Array.from(form.elements).find((el) => el.tagName === saved.tag &&
        (el.name || "") === saved.name && (!saved.text || el.textContent.trim() === saved.text));
      next = same || form;
    }
    next = (next && focusable(next)) || (area && focusable(area));
    if (next) { next.focus(); }
  });

  // Phones: the main menu folds behind its button (base.html). Escape folds it again and gives focus back to the
  // button, so a keyboard user is never left inside a closed list.
  function setupMenu() {
    const nav = document.querySelector(".site-nav");
    const toggle = nav && nav.querySelector(".site-nav__toggle");
    if (!toggle) { return; }
    document.documentElement.classList.add("js-nav");
    function set(open) {
      nav.classList.toggle("is-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", () => set(toggle.getAttribute("aria-expanded") !== "true"));
    nav.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && nav.classList.contains("is-open")) {
        set(false);
        toggle.focus();
      }
    });
  }

  // A form sent back with errors: focus goes to the first field marked invalid (its label and message are read out
  // with it), else to the error summary, so a keyboard user does not start again from the top of the page.
  function focusFirstProblem() {
    const main = document.getElementById("main");
    if (!main || main.querySelector("[autofocus]")) { return; }  // the page chose its own (the login form)
    let field = main.querySelector("form [aria-invalid=true]");
    if (field && !field.matches("input, select, textarea")) { field = field.querySelector("input, select, textarea"); }
    const summary = main.querySelector("[data-error-summary], .message--error[role=alert]");
    const target = field || summary;
    if (!target) { return; }
    if (!target.matches("input, select, textarea, button, a[href]")) { target.tabIndex = -1; }
    target.focus();
  }

  // A delete button asks first (data-confirm on the button, in words naming what goes). Enter, Space and a click all
  // arrive here as a click; cancelling stops the form, whether htmx or the browser would have sent it.
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Escape closes what Enter opened: an open <details> (「財源を追加」, 「アプリを登録する」…) folds, focus on its summary.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || !event.target.closest) { return; }
    const details = event.target.closest("details[open]");
    if (!details) { return; }
    details.open = false;
    const summary = details.querySelector("summary");
    summary.focus();
    // focus() does not scroll when the summary already has focus (the reader paged down through the open content
    // with Space or PageDown): bring it back on screen, or focus would be somewhere the reader cannot see.
    summary.scrollIntoView({ block: "nearest" });
  });

  // List filter panels (components/facet_panel.html) are closed <details> so a phone shows the results first. Wide
  // screens show them open: CSS does it where ::details-content exists; elsewhere open them here, following the
  // width when a tablet turns. A panel the visitor opened on a phone is left as it is until the width changes.
  function setupFilterPanels() {
    const panels = document.querySelectorAll("[data-filter-panel]");
    if (!panels.length) { return; }
    const wide = window.matchMedia("(min-width: 801px)");
    const follow = () => panels.forEach((panel) => { panel.open = wide.matches; });
    if (wide.matches) { follow(); }
    wide.addEventListener("change", follow);
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupMenu();
    setupFilterPanels();
    focusFirstProblem();
  });

  document.addEventListener("htmx:sendError", (event) => {
    show(event.detail.target, '<span class="message message--error" role="alert">サーバーに接続できませんでした。' +
      "通信状態を確かめて、もう一度お試しください。</span>");
  });
})();
