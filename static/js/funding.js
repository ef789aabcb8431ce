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

  // The plan's year headings stick to the top of the screen (funding.css): what scrolls to a field of a year stops
  // below its heading, whose height (one line, or more on a phone with risk badges) is measured here.
  function yearHeadings() {
    document.querySelectorAll(".plan-year > h3").forEach(function (heading) {
      heading.parentElement.style.setProperty("--year-heading", heading.offsetHeight + "px");
    });
  }

  // Opened at a field of a year (#year-12-cost, #line-34 from another page): the browser may have scrolled there
  // before the heading was measured; scroll again with the measured margin.
  function landOnYear() {
    yearHeadings();
    const target = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.closest(".plan-year") && !target.matches(".plan-year")) { target.scrollIntoView(); }
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("DOMContentLoaded", landOnYear);
  document.addEventListener("htmx:afterSettle", draw);
  document.addEventListener("htmx:afterSettle", yearHeadings);
  window.addEventListener("resize", yearHeadings);
})();
