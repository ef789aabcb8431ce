// Small site-wide behaviours. Page-specific scripts live beside this file.
document.addEventListener("htmx:responseError", (event) => {
  const target = event.detail.target;
  if (target) {
    target.insertAdjacentHTML("afterbegin", '<p class="message message--error" role="alert">保存できませんでした（' + event.detail.xhr.status + '）。時間をおいて再度お試しください。</p>');
  }
});
