// Chiiki map component (templates/components/map.html). No tile server: municipality polygons from the stored
// TopoJSON on a plain background, prefecture outlines on top, circle markers at the offices when no boundaries
// are loaded. API (see the team contract):
//   const controller = window.ChiikiMap.mount(element, {values, onClick, legend});
//   controller.setValues({"131016": {color: "#3460fb", label: "導入済み"}}); controller.setLegend([{color, label}]);
//   controller.fitTo(["131016"]); controller.map  (the Leaflet map)
// Every map element dispatches "chiiki:map-ready" (detail.controller) once drawn.
// Keyboard: the map is one tab stop (role="application"). Arrow keys move to the nearest municipality in that
// direction, Enter opens it, +/− zoom, and the search box beside the map jumps to a municipality by name. Each
// polygon is an image named after its municipality (and its value), referenced by aria-activedescendant.
(function () {
  "use strict";

  const CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成";
  const ZOOM_IN = "拡大";
  const ZOOM_OUT = "縮小";
  const BASE_STYLE = { color: "#7b8794", weight: 0.5, fillColor: "#e6eaef", fillOpacity: 1, opacity: 1 };
  const FOCUS_STYLE = { color: "#00118f", weight: 2.5, fillColor: "#ffd43d", fillOpacity: 0.95 };
  const KEY_STYLE = { color: "#000000", weight: 4, dashArray: "" };
  const DIRECTIONS = { ArrowUp: [0, 1], ArrowDown: [0, -1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
  const NEARBY_FILL = "#cdd7e3";
  const HOVER_STYLE = { weight: 2, color: "#1a1a1c" };
  const PREFECTURE_STYLE = { color: "#333d47", weight: 1.2, fill: false, interactive: false, opacity: 0.9 };
  const JAPAN_BOUNDS = [[24.0, 122.9], [45.6, 146.0]];
  const requests = {};

  function getJson(url) {
    if (!requests[url]) {
      requests[url] = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) {
          const error = new Error("HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return response.json();
      });
    }
    return requests[url];
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function firstObject(topology, name) {
    return topology.objects[name] || topology.objects[Object.keys(topology.objects)[0]];
  }

  function Controller(element, options) {
    this.element = element;
    this.values = {};
    this.layers = {}; // code → Leaflet layer (polygon or circle marker)
    this.names = {};
    this.onClick = null;
    this.focus = element.dataset.focus || "";
    this.legendElement = document.querySelector('[data-map-legend-for="' + element.id + '"]');
    this.prefectureNames = {};
    this.current = ""; // the municipality the keyboard is on
    this.centres = {};
    // Leaflet's own keyboard handler pans with the arrow keys; here they move between municipalities instead.
    this.map = L.map(element, {
      attributionControl: true, zoomSnap: 0.25, minZoom: 4, maxZoom: 13, worldCopyJump: false,
      keyboard: false, renderer: L.svg({ padding: 0.5 }), zoomControl: false,
    });
    // Leaflet's zoom buttons, named in Japanese (their title and aria-label; Leaflet's own are "Zoom in"/"Zoom out").
    L.control.zoom({ zoomInTitle: ZOOM_IN, zoomOutTitle: ZOOM_OUT }).addTo(this.map);
    this.map.attributionControl.setPrefix(false);
    this.map.attributionControl.addAttribution(CREDIT);
    this.map.createPane("prefectures").style.zIndex = 450;
    this.map.getPane("prefectures").style.pointerEvents = "none";
    this.map.fitBounds(JAPAN_BOUNDS);
    this.configure(options || {});
  }

  Controller.prototype.configure = function (options) {
    if (options.onClick) { this.onClick = options.onClick; }
    if (options.values) { this.setValues(options.values); }
    if (options.legend) { this.setLegend(options.legend); }
    return this;
  };

  Controller.prototype.municipalityUrl = function (code) {
    return (this.element.dataset.municipalityUrl || "/regions/municipalities/000000/").replace("000000", code);
  };

  Controller.prototype.styleFor = function (code, isMarker) {
    const value = this.values[code];
    let style = Object.assign({}, BASE_STYLE);
    if (this.focus.length === 2 && code.slice(0, 2) !== this.focus && !value) {
      style.fillColor = "#f4f5f7";
      style.color = "#b4bcc6";
    }
    if (value && value.color) { style.fillColor = value.color; style.fillOpacity = 0.9; }
    if (code === this.focus) { style = Object.assign(style, FOCUS_STYLE, value && value.color ? { fillColor: value.color } : {}); }
    if (isMarker) {
      style = Object.assign(style, { radius: code === this.focus ? 7 : 4, weight: code === this.focus ? 2 : 0.5 });
      if (!value && code !== this.focus) { style.fillColor = "#3d6ea8"; style.fillOpacity = 0.75; }
    }
    return style;
  };

  Controller.prototype.nameOf = function (code) {
    const prefecture = this.prefectureNames[code.slice(0, 2)] || "";
    const name = this.names[code] || code;
    return name.indexOf(prefecture) === 0 ? name : prefecture + name;
  };

  Controller.prototype.accessibleName = function (code) {
    const value = this.values[code];
    return this.nameOf(code) + (value && value.label ? "：" + value.label : "");
  };

  Controller.prototype.labelLayer = function (code) {
    const layer = this.layers[code];
    const path = layer && layer.getElement && layer.getElement();
    if (!path) { return; }
    path.setAttribute("id", this.element.id + "-m" + code);
    path.setAttribute("role", "img");
    path.setAttribute("aria-label", this.accessibleName(code));
    // Leaflet's tooltip listens for focus on the path, and Chromium makes an SVG element with focus listeners a tab
    // stop: without this, Tab would pass through every municipality (1,741) after the map itself.
    path.setAttribute("tabindex", "-1");
  };

  Controller.prototype.centreOf = function (code) {
    if (!this.centres[code]) {
      const layer = this.layers[code];
      this.centres[code] = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
    }
    return this.centres[code];
  };

  // The nearest municipality from the current one in a direction: distance along the axis, off-axis drift
  // weighted three times so ↓ goes down rather than sideways.
  Controller.prototype.neighbourTowards = function (code, direction) {
    const from = this.centreOf(code);
    const scale = Math.cos(from.lat * Math.PI / 180);
    let best = "";
    let bestScore = Infinity;
    for (const other in this.layers) {
      if (other === code) { continue; }
      const to = this.centreOf(other);
      const dx = (to.lng - from.lng) * scale;
      const dy = to.lat - from.lat;
      const along = dx * direction[0] + dy * direction[1];
      if (along <= 0) { continue; }
      const across = Math.abs(dx * direction[1] - dy * direction[0]);
      const score = along + 3 * across;
      if (score < bestScore) { bestScore = score; best = other; }
    }
    return best;
  };

  Controller.prototype.startCode = function () {
    if (this.focus.length === 6 && this.layers[this.focus]) { return this.focus; }
    const centre = this.map.getCenter();
    let best = "";
    let bestDistance = Infinity;
    for (const code in this.layers) {
      const c = this.centreOf(code);
      const d = Math.pow(c.lat - centre.lat, 2) + Math.pow(c.lng - centre.lng, 2);
      if ((this.focus.length !== 2 || code.slice(0, 2) === this.focus) && d < bestDistance) { bestDistance = d; best = code; }
    }
    return best;
  };

  Controller.prototype.select = function (code, options) {
    const layer = this.layers[code];
    if (!layer) { return false; }
    const previous = this.current;
    this.current = code;
    if (previous && this.layers[previous]) {
      this.layers[previous].setStyle(this.styleFor(previous, this.layers[previous]._chiikiMarker));
      this.layers[previous].closeTooltip();
    }
    layer.setStyle(KEY_STYLE);
    if (layer.bringToFront) { layer.bringToFront(); }
    const centre = this.centreOf(code);
    if (!this.map.getBounds().pad(-0.1).contains(centre)) { this.map.panTo(centre, { animate: false }); }
    this.labelLayer(code);
    this.element.setAttribute("aria-activedescendant", this.element.id + "-m" + code);
    this.element.dataset.current = code;
    layer.openTooltip(centre);
    this.announce(this.accessibleName(code) + "（Enterで開く）");
    if (options && options.zoom) {
      // Jumping by name from a view of all Japan: show the municipality with its surroundings.
      const bounds = layer.getBounds ? layer.getBounds() : L.latLngBounds([centre, centre]);
      this.map.fitBounds(bounds.pad(1.5), { maxZoom: 10, animate: false });
      layer.openTooltip(centre);
    }
    if (options && options.focusMap) { this.element.focus(); }
    return true;
  };

  Controller.prototype.announce = function (text) {
    const live = this.element.parentNode.querySelector("[data-map-live]");
    if (live) { live.textContent = text; }
  };

  Controller.prototype.open = function (code) {
    if (this.onClick) { this.onClick(code); } else { window.location.href = this.municipalityUrl(code); }
  };

  Controller.prototype.onKey = function (event) {
    if (event.target !== this.element || !Object.keys(this.layers).length) { return; }
    const direction = DIRECTIONS[event.key];
    if (direction) {
      event.preventDefault();
      const next = this.current ? this.neighbourTowards(this.current, direction) : this.startCode();
      if (next) { this.select(next); }
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (this.current) { this.open(this.current); } else { this.select(this.startCode()); }
    } else if (event.key === "+" || event.key === "=") {
      event.preventDefault();
      this.map.zoomIn();
    } else if (event.key === "-" || event.key === "_") {
      event.preventDefault();
      this.map.zoomOut();
    } else if (event.key === "Escape" && this.current) {
      const code = this.current;
      this.current = "";
      this.layers[code].setStyle(this.styleFor(code, this.layers[code]._chiikiMarker));
      this.layers[code].closeTooltip();
      this.element.removeAttribute("aria-activedescendant");
      delete this.element.dataset.current;
    }
  };

  // The search box beside the map (components/map.html): a datalist of every municipality, filled once drawn.
  Controller.prototype.setupSearch = function () {
    const self = this;
    const form = document.querySelector('[data-map-search-for="' + this.element.id + '"]');
    if (!form) { return; }
    const input = form.querySelector("input");
    const list = form.querySelector("datalist");
    const byName = {};
    Object.keys(this.layers).sort().forEach(function (code) {
      const name = self.nameOf(code);
      byName[name] = code;
      byName[self.names[code] || code] = byName[self.names[code] || code] || code;
      byName[code] = code;
      const option = document.createElement("option");
      option.value = name;
      list.appendChild(option);
    });
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const text = input.value.trim();
      let code = byName[text];
      if (!code && text) {
        code = Object.keys(byName).filter(function (name) { return name.indexOf(text) >= 0; }).map(function (name) { return byName[name]; })[0];
      }
      if (code && self.select(code, { focusMap: true, zoom: true })) { return; }
      self.announce("「" + text + "」に当てはまる市区町村は見つかりませんでした。");
    });
  };

  Controller.prototype.tooltipFor = function (code) {
    const value = this.values[code];
    let html = "<strong>" + escapeHtml(this.names[code] || code) + "</strong>";
    if (value && value.label) { html += "<br>" + escapeHtml(value.label); }
    return html;
  };

  Controller.prototype.bindLayer = function (code, layer, isMarker) {
    const self = this;
    this.layers[code] = layer;
    layer.setStyle(this.styleFor(code, isMarker));
    layer.bindTooltip(function () { return self.tooltipFor(code); }, { sticky: !isMarker, direction: "top" });
    layer.on("click", function () {
      if (self.onClick) { self.onClick(code); } else { window.location.href = self.municipalityUrl(code); }
    });
    layer.on("mouseover", function () { layer.setStyle(HOVER_STYLE); if (!isMarker) { layer.bringToFront(); } });
    layer.on("mouseout", function () { layer.setStyle(code === self.current ? KEY_STYLE : self.styleFor(code, isMarker)); });
    layer._chiikiMarker = isMarker;
  };

  Controller.prototype.setValues = function (values) {
    this.values = values || {};
    for (const code in this.layers) {
      this.layers[code].setStyle(code === this.current ? KEY_STYLE : this.styleFor(code, this.layers[code]._chiikiMarker));
      this.labelLayer(code);
    }
    return this;
  };

  Controller.prototype.setLegend = function (items) {
    const box = this.legendElement;
    if (!box) { return this; }
    box.textContent = "";
    (items || []).forEach(function (item) {
      const entry = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "legend__swatch";
      swatch.style.background = item.color;
      entry.appendChild(swatch);
      entry.appendChild(document.createTextNode(item.label));
      box.appendChild(entry);
    });
    box.hidden = !(items && items.length);
    return this;
  };

  Controller.prototype.boundsOf = function (codes) {
    let bounds = null;
    const self = this;
    codes.forEach(function (code) {
      const layer = self.layers[code];
      if (!layer) { return; }
      const b = layer.getBounds ? layer.getBounds() : L.latLngBounds([layer.getLatLng()]);
      bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
    });
    return bounds;
  };

  Controller.prototype.fitTo = function (codes) {
    const bounds = this.boundsOf(codes || []);
    if (bounds && bounds.isValid()) {
      this.map.fitBounds(bounds, { padding: [16, 16], maxZoom: 11 });
    }
    return this;
  };

  Controller.prototype.fitFocus = function () {
    const focus = this.focus;
    if (!focus) { this.map.fitBounds(JAPAN_BOUNDS); return; }
    const codes = Object.keys(this.layers).filter(function (code) {
      return focus.length === 2 ? code.slice(0, 2) === focus : code === focus;
    });
    if (focus.length === 2 && this.prefectureLayers[focus]) {
      this.map.fitBounds(this.prefectureLayers[focus].getBounds(), { padding: [12, 12] });
      return;
    }
    if (codes.length) {
      const bounds = this.boundsOf(codes);
      // A municipality is shown with its surroundings so readers can place it.
      this.map.fitBounds(bounds.pad(focus.length === 6 ? 1.2 : 0.05), { maxZoom: 11 });
    }
  };

  Controller.prototype.drawBoundaries = function (municipalities, prefectures) {
    const self = this;
    const features = topojson.feature(municipalities, firstObject(municipalities, "municipalities")).features;
    const group = L.geoJSON(null, { style: BASE_STYLE });
    features.forEach(function (feature) {
      const code = feature.properties.code;
      self.names[code] = feature.properties.name;
      const layer = L.geoJSON(feature, { style: BASE_STYLE }).getLayers()[0];
      self.bindLayer(code, layer, false);
      group.addLayer(layer);
    });
    group.addTo(this.map);
    this.prefectureLayers = {};
    if (prefectures) {
      const prefectureFeatures = topojson.feature(prefectures, firstObject(prefectures, "prefectures")).features;
      prefectureFeatures.forEach(function (feature) {
        self.prefectureNames[feature.properties.code] = feature.properties.name || "";
        const layer = L.geoJSON(feature, { style: PREFECTURE_STYLE, pane: "prefectures", interactive: false });
        self.prefectureLayers[feature.properties.code] = layer;
        layer.addTo(self.map);
      });
    }
    if (this.focus.length === 6 && this.layers[this.focus]) { this.layers[this.focus].bringToFront(); }
    this.mode = "boundaries";
  };

  Controller.prototype.drawPoints = function (points) {
    const self = this;
    this.prefectureLayers = {};
    points.forEach(function (point) {
      self.names[point.code] = point.name;
      const marker = L.circleMarker([point.lat, point.lng], self.styleFor(point.code, true));
      self.bindLayer(point.code, marker, true);
      marker.addTo(self.map);
    });
    this.mode = "points";
  };

  Controller.prototype.setStatus = function (text) {
    const status = this.element.querySelector("[data-map-status]");
    if (status) {
      status.textContent = text;
      status.hidden = !text;
    }
  };

  Controller.prototype.load = function () {
    const self = this;
    const element = this.element;
    const boundaries = Promise.all([
      getJson(element.dataset.municipalitiesUrl),
      getJson(element.dataset.prefecturesUrl).catch(function () { return null; }),
    ]);
    return boundaries.then(function (files) {
      self.drawBoundaries(files[0], files[1]);
    }).catch(function () {
      Object.keys(self.layers).forEach(function (code) { self.map.removeLayer(self.layers[code]); });
      self.layers = {};
      return getJson(element.dataset.pointsUrl).then(function (points) {
        self.drawPoints(points);
        self.setStatus("境界データが読み込まれていないため、役所の位置を点で表示しています。");
      });
    }).then(function () {
      if (self.mode === "boundaries") { self.setStatus(""); }
      self.fitFocus();
      Object.keys(self.layers).forEach(function (code) { self.labelLayer(code); });
      element.addEventListener("keydown", function (event) { self.onKey(event); });
      self.setupSearch();
      element.dataset.mapReady = self.mode;
      element.dispatchEvent(new CustomEvent("chiiki:map-ready", { bubbles: true, detail: { controller: self } }));
    }).catch(function (error) {
      self.setStatus("地図を表示できませんでした（" + error.message + "）。");
      element.dataset.mapReady = "error";
    });
  };

  function mount(element, options) {
    if (element._chiikiMap) { return element._chiikiMap.configure(options || {}); }
    const controller = new Controller(element, options);
    element._chiikiMap = controller;
    controller.ready = controller.load();
    return controller;
  }

  window.ChiikiMap = { mount: mount, CREDIT: CREDIT };

  function mountAll() {
    document.querySelectorAll("[data-chiiki-map]").forEach(function (element) {
      if (element.dataset.autoMount !== "false") { mount(element); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();
