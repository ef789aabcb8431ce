// The KPI page's prefecture choropleth (/pdca/kpis/<code>/): colours ChiikiMap (static/js/map.js) by the KPI's
// value in each prefecture — every municipality takes its prefecture's colour (the first two digits of its code)
// — and a click opens the rows behind that prefecture's figure. The table below the map says the same in text.
(function () {
  "use strict";

  const wrap = document.getElementById("kpi-map-wrap");
  const source = document.getElementById("kpi-map-data");
  if (!wrap || !source) return;

  const data = JSON.parse(source.textContent);
  const COLORS = ["#dbe7fb", "#a9c6f5", "#5a8de8", "#1f4fb8"];
  const ZERO = "#f1f1f4";

  function format(value) {
    return (Math.round(value * 10) / 10).toLocaleString("ja-JP");
  }

  // Four equal steps from 0 to the largest value (a zero stays apart: "none yet" is not "a little"). Counts
  // (団体, 件) step by whole numbers, so no class reads "0.5団体".
  function buckets(max, whole) {
    const steps = [];
    let previous = 0;
    COLORS.forEach(function (color, i) {
      let high = i === COLORS.length - 1 ? max : max * (i + 1) / COLORS.length;
      if (whole) { high = Math.ceil(high); }
      if (high <= previous) { return; }
      const low = whole ? format(previous + 1) : (previous === 0 ? "0超" : format(previous) + "超");
      steps.push({ color: color, high: high,
                   label: (whole && previous + 1 === high ? format(high) : low + "〜" + format(high)) + data.unit });
      previous = high;
    });
    return steps;
  }

  function colour(controller) {
    const entries = data.prefectures;
    const all = Object.values(entries).map(function (p) { return p.value; });
    const max = Math.max(0, ...all);
    const steps = buckets(max, all.every(Number.isInteger));
    const counts = steps.map(function () { return 0; });
    let zeros = 0;
    const byPrefecture = {};
    Object.keys(entries).forEach(function (code) {
      const entry = entries[code];
      let color = ZERO;
      if (entry.value > 0) {
        const index = steps.findIndex(function (s) { return entry.value <= s.high; });
        const at = index === -1 ? steps.length - 1 : index;
        counts[at] += 1;
        color = steps[at].color;
      } else {
        zeros += 1;
      }
      byPrefecture[code] = { color: color, label: entry.name + " " + entry.label };
    });
    const values = {};
    Object.keys(controller.layers).forEach(function (code) {
      const value = byPrefecture[code.slice(0, 2)];
      if (value) values[code] = value;
    });
    controller.configure({ onClick: function (code) {
      const entry = entries[code.slice(0, 2)];
      if (entry && entry.url) { window.location.href = entry.url; }
    } });
    controller.setValues(values);
    const legend = [{ color: ZERO, label: "0" + data.unit + "（" + zeros + "都道府県）" }];
    if (max > 0) {
      steps.forEach(function (s, i) { legend.push({ color: s.color, label: s.label + "（" + counts[i] + "都道府県）" }); });
    }
    controller.setLegend(legend);
    wrap.dataset.ready = "true";
  }

  wrap.addEventListener("chiiki:map-ready", function (event) { colour(event.detail.controller); });
  const element = wrap.querySelector("[data-chiiki-map]");
  if (element && element._chiikiMap && element.dataset.mapReady && element.dataset.mapReady !== "error") {
    colour(element._chiikiMap);
  }
})();
