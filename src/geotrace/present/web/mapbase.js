/* The map and its offline base layers, the same in the one-file map and the tiled one:
   inlined into map.js and maptiles.js where they name it (mapview.app_js). */
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

  /* a popup's row: a name and a value, as text (the value is hostile) */
  function row(table, name, value) {
    if (value === null || value === undefined || value === "") return;
    var tr = document.createElement("tr");
    var th = document.createElement("th"); th.textContent = name;
    var td = document.createElement("td"); td.textContent = String(value);
    tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
  }

  /* --- one canvas over the map, where each page draws its points --- */
  var canvas = document.createElement("canvas");
  canvas.className = "gt-canvas";
  map.getContainer().appendChild(canvas);
  var ctx = canvas.getContext("2d");
  /* the view in world pixels at the current zoom: what a point's projection is offset by */
  function offset() {
    var z = map.getZoom(), size = map.getSize();
    var c = map.project(map.getCenter(), z);
    return { s: Math.pow(2, z), x: c.x - size.x / 2, y: c.y - size.y / 2, w: size.x, h: size.y };
  }
