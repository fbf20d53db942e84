/* geotrace offline map, tiled (present/maptiles.py): bubbles of counts where sightings are
   dense, the sightings themselves from point tiles, scripts read from the folder beside the
   page (Chromium refuses fetch of file:// URLs, not <script src>).  Every value from the
   case is hostile: it reaches the page only through textContent, never through innerHTML. */
(function () {
  "use strict";
  var T0 = performance.now();
  var holder = document.getElementById("geotrace-data");
  var D = JSON.parse(holder.textContent);
  holder.remove();
  var F = {};
  D.fields.forEach(function (name, k) { F[name] = k; });
  var LV = D.leaves, NL = LV.z.length;
  var el = function (id) { return document.getElementById(id); };

  /* --- what the tiles hold, as they arrive --- */
  var leafData = {};      /* point tile -> {r: records, x: [], y: []} (zoom-0 pixels) */
  var bubbleData = {};    /* "z/x-y" -> {x, y, n, lat, lon} */
  var idIndex = {};       /* id shard -> Map(id -> point tile) */
  var scripts = {}, loadedScripts = 0, failedScripts = 0;
  function mx(lon) { return (lon + 180) / 360 * 256; }
  function my(lat) {
    var s = Math.sin(Math.max(-85.0511287798, Math.min(85.0511287798, lat)) * Math.PI / 180);
    return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * 256;
  }
  Object.defineProperty(window, "G", { value: Object.freeze({
    p: function (leaf, recs) {
      var d = leafData[leaf] || (leafData[leaf] = { r: [], x: [], y: [] });
      for (var k = 0; k < recs.length; k++) {
        d.r.push(recs[k]); d.x.push(mx(recs[k][F.lon])); d.y.push(my(recs[k][F.lat]));
      }
    },
    a: function (z, name, data) {
      var lat = data[0], lon = data[1];
      bubbleData[z + "/" + name] = { lat: lat, lon: lon, n: data[2],
        x: lon.map(mx), y: lat.map(my) };
    },
    i: function (shard, ids, leaves) {
      var m = idIndex[shard] || (idIndex[shard] = new Map());
      for (var k = 0; k < ids.length; k++) m.set(ids[k], leaves[k]);
    }
  }), writable: false, configurable: false });
  function load(rel) {
    if (scripts[rel]) return scripts[rel];
    scripts[rel] = new Promise(function (resolve) {
      var s = document.createElement("script");
      s.src = D.folder + rel;
      s.onload = function () { s.remove(); loadedScripts++; resolve(true); };
      s.onerror = function () { s.remove(); failedScripts++; resolve(false); };
      document.head.appendChild(s);
    });
    return scripts[rel];
  }

  /* --- the map, its offline base layers and the user's layers (the one-file map's) --- */
  /*@@MAP_BASE@@: mapbase.js, the map and its offline base layers (mapview.app_js) */

  /* --- filters: they apply to the points; bubbles count every sighting --- */
  var tmin = D.time ? D.time[0] : 0, tmax = D.time ? D.time[1] : 0;
  var methOn = D.methods.map(function () { return true; });
  var lo = tmin, hi = tmax, undated = true, cmin = 0;
  function sliderTime(input) { return tmin + (tmax - tmin) * (+input.value) / 1000; }
  function iso(sec) { return new Date(sec * 1000).toISOString().replace(".000Z", "Z"); }
  D.methods.forEach(function (label, k) {
    var rowEl = document.createElement("label"), cb = document.createElement("input");
    cb.type = "checkbox"; cb.checked = true;
    cb.addEventListener("change", function () { methOn[k] = cb.checked; refilter(); });
    rowEl.appendChild(cb); rowEl.appendChild(document.createTextNode(label));
    el("methods").appendChild(rowEl);
  });
  function refilter() {
    lo = sliderTime(el("t-from")); hi = sliderTime(el("t-to"));
    if (lo > hi) { var x = lo; lo = hi; hi = x; }
    undated = el("undated").checked;
    cmin = (+el("conf").value) / 100;
    el("t-from-label").textContent = iso(lo);
    el("t-to-label").textContent = iso(hi);
    el("conf-label").textContent = cmin.toFixed(2);
    draw();
  }
  function passes(r) {
    var t = r[F.t], c = r[F.confidence];
    if (!methOn[r[F.method]] || (c !== null && c < cmin - 1e-9)) return false;
    return t === null ? undated : (t >= lo - 0.5 && t <= hi + 0.5);
  }

  /* --- which tiles a view needs: point tiles of its zoom or coarser, bubbles elsewhere --- */
  var bubbleSets = {};
  Object.keys(D.bubbles).forEach(function (z) { bubbleSets[z] = new Set(D.bubbles[z]); });
  function view() {
    var z = map.getZoom(), b = map.getPixelBounds(), s = Math.pow(2, z);
    var x0 = b.min.x / s, x1 = b.max.x / s, y0 = b.min.y / s, y1 = b.max.y / s;
    var leaves = [], groups = [], k;
    for (k = 0; k < NL; k++) {
      if (LV.z[k] > z) continue;
      var size = 256 / Math.pow(2, LV.z[k]), lx = LV.x[k] * size, ly = LV.y[k] * size;
      if (lx <= x1 && lx + size >= x0 && ly <= y1 && ly + size >= y0) leaves.push(k);
    }
    var names = bubbleSets[z];
    if (names) {
      var g = Math.max(z - D.bubble_group_up, 0), gs = 256 / Math.pow(2, g), n = Math.pow(2, g);
      var gx0 = Math.max(0, Math.floor(x0 / gs)), gx1 = Math.min(n - 1, Math.floor(x1 / gs));
      var gy0 = Math.max(0, Math.floor(y0 / gs)), gy1 = Math.min(n - 1, Math.floor(y1 / gs));
      for (var gx = gx0; gx <= gx1; gx++)
        for (var gy = gy0; gy <= gy1; gy++)
          if (names.has(gx + "-" + gy)) groups.push(z + "/" + gx + "-" + gy);
    }
    return { z: z, leaves: leaves, groups: groups };
  }
  var current = { z: -1, leaves: [], groups: [] }, updates = 0;
  function update() {
    var v = view(), mine = ++updates;
    current = v;
    draw();
    var wait = v.leaves.map(function (k) { return load("p/" + k + ".js"); })
      .concat(v.groups.map(function (name) { return load("a/" + name + ".js"); }));
    return Promise.all(wait).then(function () { if (mine === updates) draw(); });
  }

  var hues = {};
  function colour(label) {
    var c = hues[label];
    if (c === undefined) {
      var h = 0;
      for (var j = 0; j < label.length; j++) h = (h * 31 + label.charCodeAt(j)) | 0;
      c = hues[label] = "hsl(" + ((Math.abs(h) * 137.508) % 360).toFixed(1) + ",75%,38%)";
    }
    return c;
  }
  var drawn = 0, bubblesDrawn = 0, bubbleSum = 0, shownPoints = [], shownBubbles = [];
  function draw() {
    var o = offset(), ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(o.w * ratio) || canvas.height !== Math.round(o.h * ratio)) {
      canvas.width = Math.round(o.w * ratio); canvas.height = Math.round(o.h * ratio);
      canvas.style.width = o.w + "px"; canvas.style.height = o.h + "px";
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, o.w, o.h);
    var w = o.w, h = o.h, s = o.s, x, y, r, k, j, d;
    var mpp = 40075016.686 * Math.cos(map.getCenter().lat * Math.PI / 180) / (256 * s);
    var circles = el("show-circles").checked;
    drawn = 0; bubblesDrawn = 0; bubbleSum = 0; shownPoints = []; shownBubbles = [];
    /* bubbles: a disc by count, the count written in it */
    ctx.font = "bold 11px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    current.groups.forEach(function (name) {
      var b = bubbleData[name];
      if (!b) return;
      for (var i = 0; i < b.n.length; i++) {
        var bx = b.x[i] * s - o.x, by = b.y[i] * s - o.y, br = 7 + 3 * Math.log10(b.n[i]);
        if (bx < -br || by < -br || bx > w + br || by > h + br) continue;
        ctx.globalAlpha = 0.75; ctx.fillStyle = "#c2410c";
        ctx.beginPath(); ctx.arc(bx, by, br, 0, 6.2832); ctx.fill();
        ctx.globalAlpha = 1; ctx.fillStyle = "#fff";
        ctx.fillText(b.n[i] > 9999 ? Math.round(b.n[i] / 1000) + "k" : String(b.n[i]), bx, by);
        bubblesDrawn++; bubbleSum += b.n[i]; shownBubbles.push([bx, by, br, b.lat[i], b.lon[i]]);
      }
    });
    /* points, each with its uncertainty circle where that is wider than the dot */
    for (k = 0; k < current.leaves.length; k++) {
      d = leafData[current.leaves[k]];
      if (!d) continue;
      for (j = 0; j < d.r.length; j++) {
        x = d.x[j] * s - o.x; y = d.y[j] * s - o.y;
        if (x < -4 || y < -4 || x > w + 4 || y > h + 4 || !passes(d.r[j])) continue;
        var rec = d.r[j];
        ctx.fillStyle = ctx.strokeStyle = colour(rec[F.account]);
        r = rec[F.radius_m] === null ? 0 : rec[F.radius_m] / mpp;
        if (circles && r > 4) {
          ctx.beginPath(); ctx.arc(x, y, r, 0, 6.2832);
          ctx.globalAlpha = 0.12; ctx.fill(); ctx.globalAlpha = 0.5; ctx.lineWidth = 1; ctx.stroke();
        }
        ctx.globalAlpha = 1;
        ctx.fillRect(x - 2.5, y - 2.5, 5, 5);
        drawn++; shownPoints.push([x, y, rec]);
      }
    }
    var loaded = 0;
    Object.keys(leafData).forEach(function (k) { loaded += leafData[k].r.length; });
    el("count").textContent = D.n + " sightings; " + drawn + " drawn as points here (" +
      loaded + " read), " + bubbleSum + " counted in bubbles";
  }
  var pending = false;
  map.on("move zoom resize viewreset", function () {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  });
  map.on("moveend zoomend", function () { update(); });

  /* --- popups: the same fields as the one-file map's --- */
  function popupContent(r) {
    var box = document.createElement("div");
    box.className = "gt-popup";
    var table = document.createElement("table");
    row(table, "account", r[F.account]);
    row(table, "UTC", r[F.t] === null ? "unknown" : iso(r[F.t]));
    var local = r[F.at_local];
    if (local !== null && r[F.utc_offset] !== null) local += " (" + r[F.utc_offset] + ")";
    row(table, "local", local);
    row(table, "time basis", r[F.time_basis]);
    row(table, "± time (s)", r[F.time_uncertainty_s]);
    row(table, "country (de jure)", r[F.country_de_jure]);
    row(table, "country (de facto)", r[F.country_de_facto]);
    row(table, "oblast / region", r[F.admin1]);
    row(table, "settlement", r[F.settlement]);
    row(table, "border confidence", r[F.border_confidence]);
    row(table, "time zone", r[F.timezone]);
    row(table, "position", r[F.lat].toFixed(6) + ", " + r[F.lon].toFixed(6));
    row(table, "radius (m)", r[F.radius_m]);
    row(table, "method", D.methods[r[F.method]]);
    row(table, "confidence", r[F.confidence]);
    row(table, "platform / post", [r[F.platform], r[F.post_id]].filter(Boolean).join(" "));
    row(table, "sha256", r[F.sha256]);
    row(table, "source file", r[F.source]);
    row(table, "sighting id", r[F.id]);
    box.appendChild(table);
    if (r[F.text] !== null) {
      var pre = document.createElement("div");
      pre.className = "text"; pre.textContent = r[F.text];
      box.appendChild(pre);
    }
    if (r[F.sha256] !== null) {
      var left = document.createElement("div");
      left.className = "small"; left.textContent = "(thumbnails are left out of a tiled map)";
      box.appendChild(left);
    }
    return box;
  }
  var lastPopup = null;
  function openPopup(r) {
    lastPopup = r[F.id];
    L.popup({ maxWidth: 360 }).setLatLng([r[F.lat], r[F.lon]]).setContent(popupContent(r)).openOn(map);
  }
  map.on("click", function (e) {
    var px = e.containerPoint.x, py = e.containerPoint.y, best = null, bestD = 64, k, dx, dy;
    for (k = 0; k < shownPoints.length; k++) {
      dx = shownPoints[k][0] - px; dy = shownPoints[k][1] - py;
      if (dx * dx + dy * dy <= bestD) { bestD = dx * dx + dy * dy; best = shownPoints[k][2]; }
    }
    if (best !== null) { openPopup(best); return; }
    for (k = 0; k < shownBubbles.length; k++) {        /* a bubble: zoom in on it */
      var b = shownBubbles[k];
      dx = b[0] - px; dy = b[1] - py;
      if (dx * dx + dy * dy <= b[2] * b[2]) {
        map.setView([b[3], b[4]], Math.min(map.getZoom() + 2, 18), { animate: false });
        return;
      }
    }
  });

  /* --- find a sighting by its id: id shard -> point tile -> the record --- */
  var shardSet = new Set(D.id_shards);
  function say(text) { el("search-result").textContent = text; }
  function search(text) {
    var id = Number(String(text).trim());
    if (!Number.isSafeInteger(id)) { say("a sighting id is a whole number"); return Promise.resolve(false); }
    var shard = Math.floor(id / D.id_shard);
    var none = function () {
      say("no sighting " + id + " on this map (none, or one without a usable position)");
      return false;
    };
    if (!shardSet.has(shard)) return Promise.resolve(none());
    return load("i/" + shard + ".js").then(function () {
      var leaf = idIndex[shard] && idIndex[shard].get(id);
      if (leaf === undefined) return none();
      return load("p/" + leaf + ".js").then(function () {
        var d = leafData[leaf], r = null;
        for (var j = 0; d && j < d.r.length; j++) if (d.r[j][F.id] === id) { r = d.r[j]; break; }
        if (r === null) return none();
        var z = Math.min(18, Math.max(LV.z[leaf], map.getZoom(), 12));
        map.setView([r[F.lat], r[F.lon]], z, { animate: false });
        return update().then(function () { openPopup(r); say("sighting " + id); return true; });
      });
    });
  }
  el("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    search(el("search").value);
  });

  ["t-from", "t-to", "conf", "undated", "show-circles"].forEach(function (id) {
    el(id).addEventListener("input", refilter);
    el(id).addEventListener("change", refilter);
  });
  el("note").textContent = D.note;

  /* --- first view: every sighting --- */
  if (D.bounds) {
    map.fitBounds([[D.bounds[0], D.bounds[1]], [D.bounds[2], D.bounds[3]]],
                  { maxZoom: 12, animate: false, padding: [20, 20] });
  } else {
    map.setView([30, 20], 2);
  }
  refilter();
  var T2 = null;
  update().then(function () {
    T2 = performance.now();
    document.body.dataset.ready = "1";
  });

  /* read-only hooks for tests and scripts */
  Object.defineProperty(window, "geotraceMap", { value: Object.freeze({
    get total() { return D.n; },
    get drawn() { return drawn; },
    get bubbles() { return bubblesDrawn; },
    get bubbleSum() { return bubbleSum; },
    get zoom() { return map.getZoom(); },
    get popup() { return lastPopup; },
    get scripts() { return { loaded: loadedScripts, failed: failedScripts }; },
    get timings() { return { start: T0, ready: T2 }; },
    search: function (id) { return search(id); },
    /* a drawn point's screen position, by sighting id (null when not drawn) */
    screenPoint: function (id) {
      for (var k = 0; k < shownPoints.length; k++)
        if (shownPoints[k][2][F.id] === id) return { x: shownPoints[k][0], y: shownPoints[k][1] };
      return null;
    },
    zoomTo: function (lat, lon, z) { map.setView([lat, lon], z, { animate: false }); return update(); }
  }), writable: false, configurable: false });
})();
