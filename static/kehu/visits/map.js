/* The sales map (行销地图) and the day's route: Leaflet, served by Kehu. Points arrive already in the
   configured tiles' datum (the server converts WGS-84 to GCJ-02 for Chinese providers). With no tile
   server configured, or none reachable, markers and the route are drawn over a plain background. */
(function () {
  "use strict";
  var GRADE = {A: "#c0392b", B: "#e67e22", C: "#607d8b", P: "#2e86c1"};
  var COLOUR = {red: "#c0392b", yellow: "#d4ac0d", green: "#27ae60"};

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent || "{}") : {};
  }

  function init(el) {
    if (!window.L) { return; }
    var cfg = read(el.dataset.settings);
    var points = el.dataset.points ? read(el.dataset.points) : [];
    var route = el.dataset.route ? read(el.dataset.route) : {};
    var map = L.map(el, {zoomControl: true, attributionControl: !!cfg.tiles});
    var notice = document.getElementById(el.dataset.notice || "");
    if (cfg.tiles) {
      var opts = {maxZoom: 18, attribution: cfg.attribution || ""};
      if (cfg.subdomains) { opts.subdomains = cfg.subdomains; }
      var layer = L.tileLayer(cfg.tiles, opts).addTo(map);
      var failed = 0, loaded = 0;
      layer.on("tileload", function () { loaded += 1; });
      layer.on("tileerror", function () {
        failed += 1;
        if (!loaded && failed >= 2 && notice) { notice.hidden = false; el.classList.add("no-tiles"); }
      });
    } else {
      el.classList.add("no-tiles");
      if (notice) { notice.hidden = false; }
    }
    var bounds = [];
    (points || []).forEach(function (p) {
      var colour = p.grade === "P" ? (COLOUR[p.colour] || GRADE.P) : GRADE[p.grade] || GRADE.C;
      var m = L.circleMarker([p.lat, p.lng], {
        radius: p.grade === "A" ? 8 : 6, color: colour, weight: 2, fillColor: colour,
        fillOpacity: p.approx ? 0.15 : 0.7, dashArray: p.approx ? "3 3" : null
      }).addTo(map);
      var label = document.createElement("span");
      label.textContent = p.name + " · " + p.grade + (p.approx ? " · " + (el.dataset.approx || "~") : "");
      m.bindPopup(label);
      if (p.url) {
        m.on("popupopen", function () {
          if (!label.querySelector("a")) {
            var a = document.createElement("a"); a.href = p.url; a.textContent = " ›"; label.appendChild(a);
          }
        });
      }
      bounds.push([p.lat, p.lng]);
    });
    if (route && route.line && route.line.length > 1) {
      L.polyline(route.line, {color: "#1f6feb", weight: 4, opacity: 0.8}).addTo(map);
      bounds = bounds.concat(route.line);
    }
    if (route && route.points) {
      route.points.forEach(function (p) {
        var colour = GRADE[p.grade] || GRADE.C;
        var icon = L.divIcon({className: "route-stop" + (p.skipped ? " skipped" : "") + (p.approx ? " approx" : ""),
          html: "<span style='background:" + colour + "'>" + (p.n || "×") + "</span>", iconSize: [24, 24]});
        var m = L.marker([p.lat, p.lng], {icon: icon, title: p.name}).addTo(map);
        var label = document.createElement("span"); label.textContent = p.name; m.bindPopup(label);
        bounds.push([p.lat, p.lng]);
      });
      if (route.base) {
        L.marker(route.base, {icon: L.divIcon({className: "route-base", html: "<span>⌂</span>", iconSize: [24, 24]})}).addTo(map);
        bounds.push(route.base);
      }
    }
    if (bounds.length) { map.fitBounds(bounds, {padding: [24, 24], maxZoom: 15}); }
    else { map.setView([31.23, 121.47], 10); }
  }

  window.addEventListener("pageshow", function () {  // back from the next page: a check-in may be sent again
    document.querySelectorAll("form[data-locate]").forEach(function (form) { delete form.dataset.locating; });
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-kehu-map]").forEach(init);
    document.querySelectorAll("form[data-locate]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.dataset.located || !navigator.geolocation) { return; }
        ev.preventDefault();
        if (form.dataset.locating) { return; }  // a second tap while the phone finds its position
        form.dataset.locating = "1";
        var done = function () {  // sent as a tap sends it, so that a further tap is ignored (kehu/once.js)
          form.dataset.located = "1";
          if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        };
        navigator.geolocation.getCurrentPosition(function (pos) {
          form.elements.lat.value = pos.coords.latitude.toFixed(6);
          form.elements.lng.value = pos.coords.longitude.toFixed(6);
          form.elements.accuracy.value = Math.round(pos.coords.accuracy);
          done();
        }, done, {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
      });
    });
  });
}());
