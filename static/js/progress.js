// 見える化 charts: the trend across fiscal years and the prefecture comparison. Data comes from json_script tags.
(function () {
  "use strict";

  function readJson(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function cssVar(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  const palette = ["#3460fb", "#e25c00", "#00873c", "#c5007c", "#7a5af8", "#a35f00", "#007d8a", "#d1242f"];

  function trendChart() {
    const data = readJson("progress-trend-data");
    const canvas = document.getElementById("progress-trend");
    if (!data || !canvas || typeof Chart === "undefined") return;
    const datasets = data.sectors.map((sector, index) => ({
      label: sector.name, data: sector.implemented, borderColor: palette[index % palette.length],
      backgroundColor: palette[index % palette.length], tension: 0.2,
    }));
    datasets.push({
      label: "1分野以上（KPI）", data: data.any_sector, borderColor: cssVar("--stage-self_sustaining", "#00118f"),
      borderDash: [6, 4], borderWidth: 3, backgroundColor: "transparent",
    });
    new Chart(canvas, {
      type: "line",
      data: { labels: data.years.map((y) => y + "年度"), datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: "団体数（実装済・自走）" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
  }

  function prefectureChart() {
    const data = readJson("progress-prefecture-data");
    const canvas = document.getElementById("progress-prefecture-chart");
    if (!data || !canvas || typeof Chart === "undefined") return;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: "実装率（%）", data: data.shares, backgroundColor: cssVar("--stage-implemented", "#3460fb") }],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } },
                  x: { ticks: { autoSkip: false, maxRotation: 90, minRotation: 60 } } },
        plugins: { legend: { display: false } },
      },
    });
  }

  function start() {
    trendChart();
    prefectureChart();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
