// 人材: the demand–supply map on /talent/analytics/. Colours ChiikiMap (static/js/map.js) by prefecture — every
// municipality takes its prefecture's colour — for the measure chosen beside it; a click opens the prefecture's
// rows (requests when signed in, otherwise talents). The table below the map holds the same figures.
(function () {
  "use strict";

  const wrap = document.getElementById("talent-map-wrap");
  if (!wrap) return;

  const BALANCE = [
    { key: "none", color: "#f0f2f5", label: "依頼も人材もなし" },
    { key: "covered", color: "#a9c6f5", label: "依頼は人材の数以下" },
    { key: "short", color: "#f2a65a", label: "依頼が人材より多い" },
    { key: "empty", color: "#c0392b", label: "依頼があり人材がいない" },
  ];
  const SCALE = ["#eef4fd", "#b3cdf5", "#5f90e4", "#1f4fb8"];
  const UNITS = { demand: "件", supply: "人" };
  const select = document.getElementById("talent-map-measure");
  const listUrl = (code) => wrap.dataset.listUrl.replace("prefecture=00", "prefecture=" + code.slice(0, 2));
  const valuesPromise = fetch(wrap.dataset.valuesUrl, { credentials: "same-origin" }).then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  });

  function balanceOf(v) {
    if (!v.demand && !v.supply) return BALANCE[0];
    if (!v.demand || v.demand <= v.supply) return BALANCE[1];
    return v.supply ? BALANCE[2] : BALANCE[3];
  }

  // Four steps up to the largest value (a prefecture with 0 stays uncoloured).
  function steps(max) {
    const out = [];
    for (let i = 1; i <= 4; i += 1) {
      const top = Math.max(1, Math.ceil((max * i) / 4));
      if (!out.length || top > out[out.length - 1].top) out.push({ top: top, color: SCALE[out.length] });
    }
    return out;
  }

  function colour(controller) {
    valuesPromise.then((payload) => {
      const measure = select ? select.value : "balance";
      const prefectures = payload.prefectures;
      const values = {};
      let legend;
      if (measure === "balance") {
        const counts = {};
        Object.keys(controller.layers).forEach((code) => {
          const v = prefectures[code.slice(0, 2)];
          if (!v) return;
          const bucket = balanceOf(v);
          counts[bucket.key] = counts[bucket.key] || new Set();
          counts[bucket.key].add(code.slice(0, 2));
          values[code] = { color: bucket.color, label: v.name + "：依頼 " + v.demand + "件・対応できる人材 " + v.supply + "人（" + bucket.label + "）" };
        });
        legend = BALANCE.map((b) => ({ color: b.color, label: b.label + "（" + (counts[b.key] ? counts[b.key].size : 0) + "都道府県）" }));
      } else {
        const max = Math.max(0, ...Object.values(prefectures).map((v) => v[measure]));
        const scale = steps(max);
        Object.keys(controller.layers).forEach((code) => {
          const v = prefectures[code.slice(0, 2)];
          if (!v) return;
          const n = v[measure];
          const step = scale.find((s) => n <= s.top) || scale[scale.length - 1];
          values[code] = { color: n ? step.color : "", label: v.name + "：" + (measure === "demand" ? "依頼 " : "対応できる人材 ") + n + UNITS[measure] };
        });
        legend = scale.map((s, i) => {
          const low = i ? scale[i - 1].top + 1 : 1;
          return { color: s.color, label: (low === s.top ? "" : low + "〜") + s.top + UNITS[measure] };
        });
      }
      controller.configure({ onClick: (code) => { window.location.href = listUrl(code); } });
      controller.setValues(values);
      controller.setLegend(legend);
      wrap.dataset.ready = measure;
    }).catch(() => {
      wrap.insertAdjacentHTML("afterbegin", '<p class="message message--error" role="alert">地図のデータを読み込めませんでした。下の表で同じ数字を確認できます。</p>');
    });
  }

  function mapElement() { return wrap.querySelector("[data-chiiki-map]"); }
  wrap.addEventListener("chiiki:map-ready", (event) => colour(event.detail.controller));
  if (select) {
    select.addEventListener("change", () => {
      const element = mapElement();
      if (element && element._chiikiMap) colour(element._chiikiMap);
    });
  }
  const element = mapElement();
  if (element && element._chiikiMap && element.dataset.mapReady && element.dataset.mapReady !== "error") {
    colour(element._chiikiMap);
  }
})();
