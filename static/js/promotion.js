// 見本となる地域: colours the map (model regions; neighbours by their change since designation) and draws the
// diffusion chart (neighbours' vs the comparison group's share at 実装済 or better). Data from json_script tags.
(function () {
  "use strict";

  function readJson(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  const MODEL = "#c5007c";
  const UP = ["#a6dba0", "#5aae61", "#1b7837"];
  const SAME = "#d8d8db";
  const DOWN = "#e25c00";

  function colourOf(value) {
    if (value.kind === "model") return MODEL;
    if (value.change > 0) return UP[Math.min(value.change, UP.length) - 1];
    if (value.change < 0) return DOWN;
    return SAME;
  }

  function colourMap(controller, data) {
    const values = {};
    Object.entries(data.values).forEach(([code, value]) => {
      values[code] = { color: colourOf(value), label: value.label };
    });
    controller.setValues(values);
    const legend = [{ color: MODEL, label: "見本となる地域" }];
    if (Object.values(data.values).some((v) => v.kind !== "model")) {
      legend.push({ color: UP[0], label: "隣接: 1分野増" }, { color: UP[1], label: "2分野増" },
        { color: UP[2], label: "3分野以上増" }, { color: SAME, label: "変化なし" }, { color: DOWN, label: "減少" });
    }
    controller.setLegend(legend);
    if (data.focus && data.focus.length) controller.fitTo(data.focus);
    const wrap = document.getElementById("promotion-map-wrap");
    if (wrap) wrap.dataset.ready = "true";
  }

  const mapData = readJson("promotion-map-data");
  const wrap = document.getElementById("promotion-map-wrap");
  if (mapData && wrap) {
    wrap.addEventListener("chiiki:map-ready", (event) => colourMap(event.detail.controller, mapData));
    const element = wrap.querySelector("[data-chiiki-map]");
    if (element && element._chiikiMap && element.dataset.mapReady && element.dataset.mapReady !== "error") {
      colourMap(element._chiikiMap, mapData);
    }
  }

  function chart() {
    const data = readJson("promotion-chart-data");
    const canvas = document.getElementById("promotion-diffusion-chart");
    if (!data || !canvas || typeof Chart === "undefined") return;
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "隣接団体", data: data.neighbours, borderColor: "#3460fb", backgroundColor: "#3460fb", tension: 0.2 },
          { label: "比較グループ", data: data.comparison, borderColor: "#7b8794", backgroundColor: "#7b8794",
            borderDash: [6, 4], tension: 0.2 },
        ],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "実装済以上の割合（%）" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
    canvas.dataset.ready = "true";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", chart);
  } else {
    chart();
  }
})();
