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

  document.addEventListener("htmx:sendError", (event) => {
    show(event.detail.target, '<span class="message message--error" role="alert">サーバーに接続できませんでした。' +
      "通信状態を確かめて、もう一度お試しください。</span>");
  });
})();
