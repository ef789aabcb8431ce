// 資金循環 charts: stacked bars of money per 年度 and source kind. Data comes from json_script tags; the plan page
// is re-rendered by htmx after each row is saved, so the chart is drawn again after every swap.
(function () {
  "use strict";
  const COLORS = ["#0031d8", "#e25100", "#259d63", "#7d3fbf", "#c7a200", "#0b7285", "#666666"];
  const charts = {};

  function stacked(canvasId, dataId, type) {
    const canvas = document.getElementById(canvasId);
    const script = document.getElementById(dataId);
    if (!canvas || !script || typeof Chart === "undefined") return;
    const data = JSON.parse(script.textContent);
    if (charts[canvasId]) charts[canvasId].destroy();
    charts[canvasId] = new Chart(canvas, {
      type: type || "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (d, i) {
          return { label: d.label, data: d.data, backgroundColor: COLORS[i % COLORS.length], stack: "money" };
        }),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: function (v) { return v.toLocaleString("ja-JP") + "円"; } } } },
      },
    });
  }

  function draw() {
    stacked("funding-plan-chart", "funding-plan-chart-data");
    stacked("funding-flow-chart", "funding-flow-chart-data");
    stacked("funding-campaign-chart", "funding-campaign-chart-data", "line");
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
