// The national open-data map (/opendata/standards/): colours ChiikiMap (static/js/map.js) by how many
// 自治体標準オープンデータセット types each municipality publishes; a click opens its datasets.
(function () {
  "use strict";

  const wrap = document.getElementById("opendata-map-wrap");
  if (!wrap) return;

  const BUCKETS = [
    { min: 3, color: "#1f4fb8", label: "3種類以上" },
    { min: 2, color: "#5a8de8", label: "2種類" },
    { min: 1, color: "#a9c6f5", label: "1種類" },
  ];
  const ownerUrl = (code) => wrap.dataset.ownerUrl.replace("000000", code);
  const valuesPromise = fetch(wrap.dataset.valuesUrl, { credentials: "same-origin" }).then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  });

  function colour(controller) {
    valuesPromise.then((payload) => {
      const values = {};
      const counts = BUCKETS.map(() => 0);
      Object.entries(payload.values).forEach(([code, value]) => {
        const index = BUCKETS.findIndex((bucket) => value.count >= bucket.min);
        counts[index] += 1;
        values[code] = { color: BUCKETS[index].color, label: value.label };
      });
      controller.configure({ onClick: (code) => { window.location.href = ownerUrl(code); } });
      controller.setValues(values);
      controller.setLegend(BUCKETS.map((bucket, i) => ({ color: bucket.color, label: bucket.label + "（" + counts[i] + "団体）" })));
      wrap.dataset.ready = "true";
    }).catch(() => {
      wrap.insertAdjacentHTML("afterbegin", '<p class="message message--error" role="alert">地図のデータを読み込めませんでした。時間をおいて再度お試しください。</p>');
    });
  }

  wrap.addEventListener("chiiki:map-ready", (event) => colour(event.detail.controller));
  const element = wrap.querySelector("[data-chiiki-map]");
  if (element && element._chiikiMap && element.dataset.mapReady && element.dataset.mapReady !== "error") {
    colour(element._chiikiMap);
  }
})();
