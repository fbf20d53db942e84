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
  /*@@MAP_BASE@@: mapbase.js, the map and its offline base layers (mapview.app_js) */

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
    peopleFilter(lo, hi, undated);
    draw();
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
    drawPeople(o, mpp);
    redraws++;
  }
  var pending = false;
  map.on("move zoom resize viewreset", function () {   /* at most one redraw a frame */
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  });

  /* --- popups: the nearest shown sighting within 8 px of the click --- */
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
  /* --- layers of people: flagged legs, stays and bases, crossings, meetings, silences;
     column arrays like the sightings, projected once, each item with a time span --- */
  var P = D.people, LAYERS = ["legs", "stays", "crossings", "meetings", "silences"];
  var PL = {};
  LAYERS.forEach(function (name) {
    var c = P[name], n = c.w.length, a = new Float64Array(2 * n), b = null, p;
    if (c.lat2) b = new Float64Array(2 * n);
    for (var k = 0; k < n; k++) {
      p = map.project([c.lat[k], c.lon[k]], 0); a[2 * k] = p.x; a[2 * k + 1] = p.y;
      if (b) {
        p = map.project([c.lat2[k], c.lon2[k]], 0);
        while (p.x - a[2 * k] > 128) p.x -= 256;    /* the short way round the 180th meridian */
        while (a[2 * k] - p.x > 128) p.x += 256;
        b[2 * k] = p.x; b[2 * k + 1] = p.y;
      }
    }
    PL[name] = { c: c, n: n, a: a, b: b, on: new Uint8Array(n), shown: 0 };
  });
  function whoOn(w) { var k = P.account[w]; return k < 0 || accOn[k]; }
  function whoColour(w) { var k = P.account[w]; return k < 0 ? "#333" : colours[k]; }
  function peopleFilter(lo, hi, undated) {
    LAYERS.forEach(function (name) {
      var L_ = PL[name], c = L_.c, layerOn = el("show-" + name).checked, k, t1, t2, ok;
      L_.shown = 0;
      for (k = 0; k < L_.n; k++) {
        ok = layerOn && (whoOn(c.w[k]) || (c.w2 !== undefined && whoOn(c.w2[k])));
        t1 = name === "silences" ? c.last[k] : c.t[k];
        t2 = name === "silences" ? hi : c.t2[k];
        if (ok) ok = t1 === null ? undated : (t1 <= hi + 0.5 && (t2 === null ? t1 : t2) >= lo - 0.5);
        L_.on[k] = ok ? 1 : 0; L_.shown += L_.on[k];
      }
    });
  }
  function anchor(name, k) {             /* where an item is clicked: zoom-0 pixels */
    var L_ = PL[name];
    if (name === "legs" || name === "meetings")
      return [(L_.a[2 * k] + L_.b[2 * k]) / 2, (L_.a[2 * k + 1] + L_.b[2 * k + 1]) / 2];
    if (name === "crossings") return [L_.b[2 * k], L_.b[2 * k + 1]];
    return [L_.a[2 * k], L_.a[2 * k + 1]];
  }
  function drawPeople(o, mpp) {
    var L_, c, k, x, y, x2, y2, r;
    function at(arr, k) { return [arr[2 * k] * o.s - o.x, arr[2 * k + 1] * o.s - o.y]; }
    L_ = PL.stays; c = L_.c;                               /* stays: circles; bases dashed */
    for (k = 0; k < L_.n; k++) {
      if (!L_.on[k]) continue;
      var xy = at(L_.a, k); r = Math.max(6, (c.r[k] || 0) / mpp);
      ctx.strokeStyle = whoColour(c.w[k]); ctx.fillStyle = ctx.strokeStyle;
      ctx.setLineDash(c.base[k] ? [6, 3] : []); ctx.lineWidth = c.base[k] ? 2.5 : 1.5;
      ctx.beginPath(); ctx.arc(xy[0], xy[1], r, 0, 6.2832);
      ctx.globalAlpha = 0.08; ctx.fill(); ctx.globalAlpha = 0.9; ctx.stroke();
    }
    ctx.setLineDash([]); ctx.globalAlpha = 1;
    L_ = PL.legs; ctx.strokeStyle = "#d00"; ctx.lineWidth = 3; ctx.setLineDash([8, 4]);
    ctx.beginPath();                                        /* impossible legs: red, dashed */
    for (k = 0; k < L_.n; k++) {
      if (!L_.on[k]) continue;
      x = at(L_.a, k); y = at(L_.b, k); ctx.moveTo(x[0], x[1]); ctx.lineTo(y[0], y[1]);
    }
    ctx.stroke(); ctx.setLineDash([]);
    L_ = PL.meetings; ctx.strokeStyle = "#7b2cbf"; ctx.fillStyle = "#7b2cbf"; ctx.lineWidth = 2;
    for (k = 0; k < L_.n; k++) {                           /* meetings: the evidence pair */
      if (!L_.on[k]) continue;
      x = at(L_.a, k); y = at(L_.b, k);
      ctx.beginPath(); ctx.moveTo(x[0], x[1]); ctx.lineTo(y[0], y[1]); ctx.stroke();
      ctx.beginPath(); ctx.arc(x[0], x[1], 4, 0, 6.2832); ctx.arc(y[0], y[1], 4, 0, 6.2832);
      ctx.fill();
    }
    L_ = PL.crossings;                  /* crossings: last on one side, dotted, to a diamond */
    for (k = 0; k < L_.n; k++) {
      if (!L_.on[k]) continue;
      x = at(L_.a, k); y = at(L_.b, k);
      ctx.strokeStyle = whoColour(L_.c.w[k]); ctx.lineWidth = 1.5; ctx.setLineDash([2, 3]);
      ctx.beginPath(); ctx.moveTo(x[0], x[1]); ctx.lineTo(y[0], y[1]); ctx.stroke();
      ctx.setLineDash([]); ctx.fillStyle = "#f80"; ctx.strokeStyle = "#000"; ctx.lineWidth = 1;
      x2 = y[0]; y2 = y[1];
      ctx.beginPath(); ctx.moveTo(x2, y2 - 7); ctx.lineTo(x2 + 7, y2); ctx.lineTo(x2, y2 + 7);
      ctx.lineTo(x2 - 7, y2); ctx.closePath(); ctx.fill(); ctx.stroke();
    }
    L_ = PL.silences; ctx.lineWidth = 2.5;          /* silence: a struck ring, black on white */
    for (k = 0; k < L_.n; k++) {
      if (!L_.on[k]) continue;
      x = at(L_.a, k);
      ctx.beginPath(); ctx.arc(x[0], x[1], 9, 0, 6.2832);
      ctx.fillStyle = "#fff"; ctx.strokeStyle = "#000"; ctx.fill(); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(x[0] - 6, x[1] + 6); ctx.lineTo(x[0] + 6, x[1] - 6); ctx.stroke();
    }
  }
  function peoplePopup(name, k) {
    var c = PL[name].c, box = document.createElement("div"), table = document.createElement("table");
    box.className = "gt-popup";
    function when(s) { return s === null || s === undefined ? "unknown" : iso(s); }
    row(table, "account", P.who[c.w[k]]);
    if (name === "legs") {
      row(table, "impossible leg", P.texts[c.flag[k]]);
      row(table, "from (UTC)", when(c.t[k])); row(table, "to (UTC)", when(c.t2[k]));
      row(table, "least speed (km/h)", c.kmh[k]); row(table, "distance (km)", c.km[k]);
      row(table, "sightings", c.s[k] + ", " + c.s2[k]);
    } else if (name === "stays") {
      row(table, c.base[k] ? "base" : "stay", c.open[k] ? "open: the last place seen" : "");
      row(table, "first (UTC)", when(c.t[k])); row(table, "last (UTC)", when(c.t2[k]));
      row(table, "radius (m)", c.r[k]); row(table, "sightings", c.n[k]);
      if (c.base[k]) row(table, "days seen here", c.days[k]);
      row(table, "centre", c.lat[k].toFixed(6) + ", " + c.lon[k].toFixed(6));
    } else if (name === "crossings") {
      row(table, "crossing", P.texts[c.level[k]]);
      row(table, "left", P.texts[c.left[k]]); row(table, "entered", P.texts[c.entered[k]]);
      row(table, "after (UTC)", when(c.t[k])); row(table, "before (UTC)", when(c.t2[k]));
      row(table, "border confidence", P.texts[c.conf[k]]);
    } else if (name === "meetings") {
      row(table, "met", P.who[c.w2[k]]);
      row(table, "instants (UTC)", when(c.t[k]) + " / " + when(c.t2[k]));
      row(table, "distance (m)", c.m[k]); row(table, "score", c.score[k]);
      row(table, "co-travel", c.co[k]); row(table, "encounters", c.n[k]);
    } else {
      row(table, "silent since (UTC)", when(c.last[k]));
      row(table, "gap (days)", c.gap[k] === null ? null : (c.gap[k] / 86400).toFixed(1));
      row(table, "p", c.p[k]); row(table, "as of (UTC)", P.as_of);
    }
    box.appendChild(table);
    return box;
  }
  function nearestEvent(x, y) {
    var o = offset(), best = null, bestD = 64;
    LAYERS.forEach(function (name) {
      var L_ = PL[name];
      for (var k = 0; k < L_.n; k++) {
        if (!L_.on[k]) continue;
        var p = anchor(name, k), dx = p[0] * o.s - o.x - x, dy = p[1] * o.s - o.y - y;
        var d = dx * dx + dy * dy;
        if (d <= bestD) { bestD = d; best = { name: name, k: k, d: d, p: p }; }
      }
    });
    return best;
  }
  var lastPopup = -1, lastEvent = null;
  function distance(i, pt) {
    var o = offset(), dx = px[i] * o.s - o.x - pt.x, dy = py[i] * o.s - o.y - pt.y;
    return dx * dx + dy * dy;
  }
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
    var ev = nearestEvent(e.containerPoint.x, e.containerPoint.y);
    if (ev !== null && (i < 0 || ev.d <= distance(i, e.containerPoint))) {  /* drawn on top */
      lastPopup = -1; lastEvent = ev.name + ":" + ev.k;
      L.popup({ maxWidth: 360 }).setLatLng(map.unproject(L.point(ev.p[0], ev.p[1]), 0))
        .setContent(peoplePopup(ev.name, ev.k)).openOn(map);
      return;
    }
    if (i < 0) return;
    lastPopup = i; lastEvent = null;
    L.popup({ maxWidth: 360 }).setLatLng([lat[i], lon[i]]).setContent(popupContent(i)).openOn(map);
  });

  ["t-from", "t-to", "conf", "undated", "show-tracks", "show-circles", "show-legs", "show-stays",
   "show-crossings", "show-meetings", "show-silences"].forEach(function (id) {
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
    get event() { return lastEvent; },      /* the open popup of a layer of people */
    /* items of each layer of people shown after the filters, and an item's screen point */
    get people() {
      var out = {};
      LAYERS.forEach(function (name) { out[name] = PL[name].shown; });
      return out;
    },
    eventPoint: function (name, k) {
      var o = offset(), p = anchor(name, k);
      return { x: p[0] * o.s - o.x, y: p[1] * o.s - o.y };
    },
    get zoom() { return map.getZoom(); },
    /* ms since navigation: script start, data parsed, first draw done */
    get timings() { return { start: T0, parsed: T1, ready: T2 }; },
    screenPoint: function (i) { var xy = screen(i, offset()); return { x: xy[0], y: xy[1] }; }
  }), writable: false, configurable: false });
  var T2 = performance.now();
  document.body.dataset.ready = "1";
})();
