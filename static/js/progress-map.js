// The progress choropleth: colours ChiikiMap (static/js/map.js) by stage for the chosen sector and 年度.
(function () {
  "use strict";

  const wrap = document.getElementById("progress-map-wrap");
  if (!wrap) return;

  function stageColour(stage) {
    return getComputedStyle(document.documentElement).getPropertyValue("--stage-" + stage).trim() || "#cccccc";
  }

  const stages = (wrap.dataset.stages || "").split(";").filter(Boolean).map((pair) => {
    const [code, label] = pair.split("=");
    return { code, label };
  });
  const municipalityUrl = (code) => wrap.dataset.municipalityUrl.replace("000000", code) + window.location.search.replace(/&?sector=[^&]*/, "");

  const valuesPromise = fetch(wrap.dataset.valuesUrl, { credentials: "same-origin" }).then((response) => {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  });

  function colour(controller) {
    valuesPromise.then((payload) => {
      const values = {};
      Object.entries(payload.values).forEach(([code, value]) => {
        values[code] = { color: stageColour(value.stage), label: value.label, stage: value.stage };
      });
      // The legend with counts above the map replaces the component's own legend.
      controller.configure({ onClick: (code) => { window.location.href = municipalityUrl(code); } });
      controller.setValues(values);
      wrap.dataset.ready = "true";
    }).catch(() => {
      wrap.insertAdjacentHTML("afterbegin", '<p class="message message--error" role="alert">地図のデータを読み込めませんでした。時間をおいて再度お試しください。</p>');
    });
  }

  wrap.addEventListener("chiiki:map-ready", (event) => colour(event.detail.controller));
  // The map may have been drawn before this script ran.
  const element = wrap.querySelector("[data-chiiki-map]");
  if (element && element._chiikiMap && element.dataset.mapReady && element.dataset.mapReady !== "error") {
    colour(element._chiikiMap);
  }
})();
