/* geotrace offline map. Every value from the case is hostile: it reaches the page only
   through textContent and DOM properties, never through innerHTML or string-built markup. */
(function () {
  "use strict";
  var T0 = performance.now();
  var holder = document.getElementById("geotrace-data");
  var D = JSON.parse(holder.textContent);
  holder.remove();  /* tens of megabytes of text the page no longer needs */
  var T1 = performance.now();
  var N = D.n;
  var C = D.columns;

  function decode(col) {            /* {"values": [...], "codes": [...]} -> value of row i */
    if (col.codes === null) return function (i) { return col.values[i]; };
    return function (i) { var c = col.codes[i]; return c < 0 ? null : col.values[c]; };
  }
  var S = {};
  Object.keys(C.strings).forEach(function (k) { S[k] = decode(C.strings[k]); });
  var lat = C.lat, lon = C.lon, rad = C.radius_m, t = C.t, acc = C.account, meth = C.method;
  var conf = C.confidence;

  /* --- colours per account: golden-angle hues, readable on the pale base map --- */
  var colours = D.accounts.map(function (_, k) {
    return "hsl(" + ((k * 137.508) % 360).toFixed(1) + ",75%,38%)";
  });

  /* --- the map and its offline base layers --- */
  var map = L.map("map", { zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false,
                           worldCopyJump: false, minZoom: 1, maxZoom: 18, preferCanvas: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(D.attribution);
  var renderer = L.canvas({ padding: 0.2 });
  function outlineLayer(fc) {
    return L.geoJSON(fc, { renderer: renderer, interactive: false,
      style: { color: "#555", weight: 0.8, fillColor: "#fffdf5", fillOpacity: 1 } });
  }
  /* outlines come packed: per feature, polygons of rings of integer deltas (lon, lat) */
  function unpack(f) {
    var k = D.outlines.scale;
    var polys = f.p.map(function (poly) {
      return poly.map(function (d) {
        var out = [], x = 0, y = 0;
        for (var j = 0; j < d.length; j += 2) { x += d[j]; y += d[j + 1]; out.push([x / k, y / k]); }
        return out;
      });
    });
    return { type: "Feature", properties: { iso: f.iso, name: f.name },
             geometry: { type: "MultiPolygon", coordinates: polys } };
  }
  var jure = D.outlines.de_jure.map(unpack);
  var drop = {};
  D.outlines.de_facto.drop.forEach(function (iso) { drop[iso] = true; });
  var facto = jure.filter(function (f) { return !drop[f.properties.iso]; })
    .concat(D.outlines.de_facto.add.map(unpack));
  var bases = {};
  bases[D.outline_names.de_jure] = outlineLayer({ type: "FeatureCollection", features: jure });
  bases[D.outline_names.de_facto] = outlineLayer({ type: "FeatureCollection", features: facto });
  /* The user's raster tiles, embedded as "z/x/y" -> base64; a tile not embedded is cut
     from its nearest embedded ancestor, so zooming past the last level blurs, not blanks. */
  if (D.basemap) {
    var T = D.basemap.tiles;
    var UserTiles = L.GridLayer.extend({
      createTile: function (c, done) {
        var size = this.getTileSize(), canvas = document.createElement("canvas");
        canvas.width = size.x; canvas.height = size.y;
        var n = Math.pow(2, c.z), z = c.z, x = ((c.x % n) + n) % n, y = c.y;
        var x0 = x, y0 = y;
        while (z >= 0 && !T[z + "/" + x + "/" + y]) { z--; x = Math.floor(x / 2); y = Math.floor(y / 2); }
        if (z < 0 || y0 < 0 || y0 >= n) { setTimeout(function () { done(null, canvas); }, 0); return canvas; }
        var f = Math.pow(2, c.z - z), img = new Image();
        img.onload = function () {
          var sw = img.width / f, sh = img.height / f;
          canvas.getContext("2d").drawImage(img, (x0 - x * f) * sw, (y0 - y * f) * sh, sw, sh,
                                            0, 0, size.x, size.y);
          done(null, canvas);
        };
        img.onerror = function () { done(null, canvas); };
        img.src = "data:" + D.basemap.mime + ";base64," + T[z + "/" + x + "/" + y];
        return canvas;
      }
    });
    var userTiles = new UserTiles({ attribution: D.basemap.attribution, maxZoom: 18 });
    bases["Base map (user file)"] = userTiles;
    userTiles.addTo(map);
  } else {
    bases[D.outline_names.de_jure].addTo(map);
  }
  /* The user's control layer: Leaflet's layers control writes names with innerHTML, so it
     gets a fixed name there and its labels and source go to the panel as text. */
  var overlays = {};
  if (D.control) {
    var controlColours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
    var features = D.control.features.map(function (f, k) {
      return { type: "Feature", properties: { k: k }, geometry: { type: "MultiPolygon",
        coordinates: f.p.map(function (poly) { return poly.map(function (d) {
          var out = [], x = 0, y = 0;
          for (var j = 0; j < d.length; j += 2) {
            x += d[j]; y += d[j + 1]; out.push([x / D.control.scale, y / D.control.scale]);
          }
          return out; }); }) } };
    });
    var controlLayer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      renderer: renderer, interactive: false, style: function (f) {
        var c = controlColours[f.properties.k % controlColours.length];
        return { color: c, weight: 1, fillColor: c, fillOpacity: 0.18 }; } });
    overlays["Control of territory (user layer)"] = controlLayer;
    controlLayer.addTo(map);
    var legend = document.getElementById("control-legend");
    var src = document.createElement("div");
    src.className = "small"; src.textContent = D.control.source;
    legend.appendChild(src);
    D.control.features.forEach(function (f, k) {
      var rowEl = document.createElement("div");
      var sw = document.createElement("span");
      sw.className = "swatch"; sw.style.background = controlColours[k % controlColours.length];
      rowEl.appendChild(sw); rowEl.appendChild(document.createTextNode(f.label));
      legend.appendChild(rowEl);
    });
    legend.parentNode.hidden = false;
  }
  L.control.layers(bases, overlays, { collapsed: false, position: "topright" }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);

  /* --- positions projected once at zoom 0 (Web Mercator pixels) --- */
  var px = new Float64Array(N), py = new Float64Array(N);
  for (var i = 0; i < N; i++) {
    var p = map.project([lat[i], lon[i]], 0);
    px[i] = p.x; py[i] = p.y;
  }
  /* tracks: per account, the dated sightings in time order */
  var k, tracks = D.accounts.map(function () { return []; });
  var order = [];
  for (i = 0; i < N; i++) if (t[i] !== null) order.push(i);
  order.sort(function (a, b) { return t[a] - t[b] || a - b; });
  order.forEach(function (k) { tracks[acc[k]].push(k); });
  var byAccount = D.accounts.map(function () { return []; });
  for (i = 0; i < N; i++) byAccount[acc[i]].push(i);

  /* --- filters --- */
  var tmin = Infinity, tmax = -Infinity;
  for (i = 0; i < N; i++) if (t[i] !== null) { if (t[i] < tmin) tmin = t[i]; if (t[i] > tmax) tmax = t[i]; }
  if (tmin === Infinity) { tmin = 0; tmax = 0; }
  var el = function (id) { return document.getElementById(id); };
  var accOn = D.accounts.map(function () { return true; });
  var methOn = D.methods.map(function () { return true; });
  var visible = new Uint8Array(N);
  var shown = 0, drawn = 0, redraws = 0;

  function sliderTime(input) { return tmin + (tmax - tmin) * (+input.value) / 1000; }
  function iso(sec) { return new Date(sec * 1000).toISOString().replace(".000Z", "Z"); }

  function checkboxList(box, labels, on, colourOf) {
    labels.forEach(function (label, k) {
      var row = document.createElement("label");
      var cb = document.createElement("input");
      cb.type = "checkbox"; cb.checked = true; cb.dataset.index = String(k);
      cb.addEventListener("change", function () { on[k] = cb.checked; refilter(); });
      row.appendChild(cb);
      if (colourOf) {
        var sw = document.createElement("span");
        sw.className = "swatch"; sw.style.background = colourOf(k);
        row.appendChild(sw);
      }
      row.appendChild(document.createTextNode(label));
      box.appendChild(row);
    });
  }
  checkboxList(el("accounts"), D.accounts, accOn, function (k) { return colours[k]; });
  checkboxList(el("methods"), D.methods, methOn, null);

  function refilter() {
    var lo = sliderTime(el("t-from")), hi = sliderTime(el("t-to"));
    if (lo > hi) { var x = lo; lo = hi; hi = x; }
    var undated = el("undated").checked;
    var cmin = (+el("conf").value) / 100;
    el("t-from-label").textContent = iso(lo);
    el("t-to-label").textContent = iso(hi);
    el("conf-label").textContent = cmin.toFixed(2);
    shown = 0;
    for (var i = 0; i < N; i++) {
      var ok = accOn[acc[i]] && methOn[meth[i]] && (conf[i] === null || conf[i] >= cmin - 1e-9);
      if (ok) ok = t[i] === null ? undated : (t[i] >= lo - 0.5 && t[i] <= hi + 0.5);
      visible[i] = ok ? 1 : 0;
      shown += visible[i];
    }
    el("count").textContent = shown + " of " + N + " sightings shown";
    draw();
  }

  /* --- one canvas over the map for points, circles and tracks --- */
  var canvas = document.createElement("canvas");
  canvas.className = "gt-canvas";
  map.getContainer().appendChild(canvas);
  var ctx = canvas.getContext("2d");

  function offset() {
    var z = map.getZoom(), size = map.getSize();
    var c = map.project(map.getCenter(), z);
    return { s: Math.pow(2, z), x: c.x - size.x / 2, y: c.y - size.y / 2, w: size.x, h: size.y };
  }
  function screen(i, o) { return [px[i] * o.s - o.x, py[i] * o.s - o.y]; }

  function draw() {
    var o = offset(), ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(o.w * ratio) || canvas.height !== Math.round(o.h * ratio)) {
      canvas.width = Math.round(o.w * ratio); canvas.height = Math.round(o.h * ratio);
      canvas.style.width = o.w + "px"; canvas.style.height = o.h + "px";
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, o.w, o.h);
    var k, j, i, xy;
    if (el("show-tracks").checked) {
      ctx.lineWidth = 1.5; ctx.globalAlpha = 0.7;
      for (k = 0; k < tracks.length; k++) {
        var tr = tracks[k], started = false;
        if (tr.length < 2 || !D.tracked[k]) continue;  /* media with no account: no one's track */
        ctx.strokeStyle = colours[k]; ctx.beginPath();
        /* each step goes the short way round: Chukotka to Alaska crosses the 180th
           meridian, not the whole world (ux: the previous point's x at zoom 0, unwrapped) */
        var ux = 0, tx;
        for (j = 0; j < tr.length; j++) {
          i = tr[j]; if (!visible[i]) continue;
          tx = px[i];
          if (started) { while (tx - ux > 128) tx -= 256; while (ux - tx > 128) tx += 256; }
          ux = tx;
          xy = [tx * o.s - o.x, py[i] * o.s - o.y];
          if (started) ctx.lineTo(xy[0], xy[1]); else { ctx.moveTo(xy[0], xy[1]); started = true; }
        }
        ctx.stroke();
      }
    }
    /* metres per screen pixel at the map's centre latitude */
    var mpp = 40075016.686 * Math.cos(map.getCenter().lat * Math.PI / 180) / (256 * o.s);
    var circles = el("show-circles").checked;
    var w = o.w, h = o.h, sx = o.s, ox = o.x, oy = o.y, x, y, r, m;
    drawn = 0;
    /* one path per account and kind: 100,000 separate fills take seconds, 200 take none */
    for (k = 0; k < byAccount.length; k++) {
      var members = byAccount[k];
      ctx.fillStyle = colours[k]; ctx.strokeStyle = colours[k];
      if (circles) {
        ctx.beginPath();
        var any = false;
        for (m = 0; m < members.length; m++) {
          i = members[m];
          if (!visible[i] || rad[i] === null) continue;
          r = rad[i] / mpp;
          if (r <= 4) continue;
          x = px[i] * sx - ox; y = py[i] * sx - oy;
          if (x < -r || y < -r || x > w + r || y > h + r) continue;
          ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 6.2832); any = true;
        }
        if (any) {
          ctx.globalAlpha = 0.12; ctx.fill();
          ctx.globalAlpha = 0.5; ctx.lineWidth = 1; ctx.stroke();
        }
      }
      ctx.globalAlpha = 1;
      ctx.beginPath();
      for (m = 0; m < members.length; m++) {
        i = members[m];
        if (!visible[i]) continue;
        x = px[i] * sx - ox; y = py[i] * sx - oy;
        if (x < -4 || y < -4 || x > w + 4 || y > h + 4) continue;
        ctx.rect(x - 2.5, y - 2.5, 5, 5);
        drawn++;
      }
      ctx.fill();
    }
    redraws++;
  }
  var pending = false;
  map.on("move zoom resize viewreset", function () {   /* at most one redraw a frame */
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  });

  /* --- popups: the nearest shown sighting within 8 px of the click --- */
  function row(table, name, value) {
    if (value === null || value === undefined || value === "") return;
    var tr = document.createElement("tr");
    var th = document.createElement("th"); th.textContent = name;
    var td = document.createElement("td"); td.textContent = String(value);
    tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
  }
  function popupContent(i) {
    var box = document.createElement("div");
    box.className = "gt-popup";
    var table = document.createElement("table");
    row(table, "account", D.accounts[acc[i]]);
    row(table, "UTC", t[i] === null ? "unknown" : iso(t[i]));
    var local = S.at_local(i);
    if (local !== null && S.utc_offset(i) !== null) local += " (" + S.utc_offset(i) + ")";
    row(table, "local", local);
    row(table, "time basis", S.time_basis(i));
    row(table, "± time (s)", C.time_uncertainty_s[i]);
    row(table, "country (de jure)", S.country_de_jure(i));
    row(table, "country (de facto)", S.country_de_facto(i));
    row(table, "oblast / region", S.admin1(i));
    row(table, "settlement", S.settlement(i));
    row(table, "border confidence", S.border_confidence(i));
    row(table, "time zone", S.timezone(i));
    row(table, "position", lat[i].toFixed(6) + ", " + lon[i].toFixed(6));
    row(table, "radius (m)", rad[i]);
    row(table, "method", D.methods[meth[i]]);
    row(table, "confidence", conf[i]);
    row(table, "platform / post", [S.platform(i), S.post_id(i)].filter(Boolean).join(" "));
    row(table, "sha256", S.sha256(i));
    row(table, "source file", S.source(i));
    row(table, "sighting id", C.id[i]);
    box.appendChild(table);
    var text = S.text(i);
    if (text !== null) {
      var pre = document.createElement("div");
      pre.className = "text"; pre.textContent = text;
      box.appendChild(pre);
    }
    var thumb = S.sha256(i) === null ? null : D.thumbnails[S.sha256(i)];
    if (typeof thumb === "string" && /^[A-Za-z0-9+\/=]+$/.test(thumb)) {
      var img = document.createElement("img");
      img.alt = "thumbnail";
      img.src = "data:image/jpeg;base64," + thumb;
      box.appendChild(img);
    }
    return box;
  }
  var lastPopup = -1;
  function nearest(x, y) {
    var o = offset(), best = -1, bestD = 64;
    for (var i = 0; i < N; i++) {
      if (!visible[i]) continue;
      var dx = px[i] * o.s - o.x - x, dy = py[i] * o.s - o.y - y, d = dx * dx + dy * dy;
      if (d <= bestD) { bestD = d; best = i; }
    }
    return best;
  }
  map.on("click", function (e) {
    var i = nearest(e.containerPoint.x, e.containerPoint.y);
    if (i < 0) return;
    lastPopup = i;
    L.popup({ maxWidth: 360 }).setLatLng([lat[i], lon[i]]).setContent(popupContent(i)).openOn(map);
  });

  ["t-from", "t-to", "conf", "undated", "show-tracks", "show-circles"].forEach(function (id) {
    el(id).addEventListener("input", refilter);
    el(id).addEventListener("change", refilter);
  });
  /* Stroking tens of thousands of long track segments costs seconds a frame in a software
     canvas; past TRACK_LIMIT dated points the tracks start switched off, one tick away. */
  var TRACK_LIMIT = 20000, trackPoints = 0;
  for (k = 0; k < tracks.length; k++) if (D.tracked[k]) trackPoints += tracks[k].length;
  var note = D.note;
  if (trackPoints > TRACK_LIMIT) {
    el("show-tracks").checked = false;
    note += " Tracks start hidden: " + trackPoints + " dated points (over " + TRACK_LIMIT +
      "); filter by account or time, then tick 'tracks'.";
  }
  el("note").textContent = note;

  /* --- first view: every sighting --- */
  if (N > 0) {
    var b = L.latLngBounds([]);
    for (i = 0; i < N; i++) b.extend([lat[i], lon[i]]);
    map.fitBounds(b.pad(0.15), { maxZoom: 12, animate: false });
  } else {
    map.setView([30, 20], 2);
  }
  refilter();

  /* read-only hooks for tests and scripts: counts and a sighting's screen position */
  Object.defineProperty(window, "geotraceMap", { value: Object.freeze({
    get total() { return N; },
    get shown() { return shown; },
    get drawn() { return drawn; },
    drawnCount: function () { return drawn; },  /* bench/present.py's ready check */
    get redraws() { return redraws; },
    get popup() { return lastPopup; },
    get zoom() { return map.getZoom(); },
    /* ms since navigation: script start, data parsed, first draw done */
    get timings() { return { start: T0, parsed: T1, ready: T2 }; },
    screenPoint: function (i) { var xy = screen(i, offset()); return { x: xy[0], y: xy[1] }; }
  }), writable: false, configurable: false });
  var T2 = performance.now();
  document.body.dataset.ready = "1";
})();
