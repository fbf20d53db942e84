"""The offline map: one HTML file holding the sightings, the outlines and the map library.

Investigators publish maps, and a map that calls a tile server or a CDN leaks the
investigation to whoever runs them and breaks with the network cut.  So the page carries
everything: Leaflet, read at generation time from the installed ``xstatic-leaflet`` package
(BSD-2-Clause, its copyright header kept), the country outlines of ``outlines.py`` as the base
layer (de jure and de facto), and the sightings as compact column arrays that the page's own
script draws on one canvas (100,000 Leaflet markers would take seconds to build; one canvas
pass takes milliseconds).

Post text, file names and account names are hostile.  They travel as JSON inside a
``<script type="application/json">`` element with ``<``, ``>`` and ``&`` escaped (so no string
can close it), and the page's script puts them on screen with ``textContent`` only.  A
Content-Security-Policy forbids every fetch and every image but ``data:``.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import shapely

from geotrace.places.control import ControlLayer
from geotrace.present.basemap import DEFAULT_BUDGET, EmbeddedTiles, TileSet
from geotrace.present.outlines import DECIMALS as OUTLINE_DECIMALS
from geotrace.present.outlines import shared_layers
from geotrace.present.packing import COORD_DECIMALS, epoch, number
from geotrace.present.people_layers import PeopleLayers, map_layers

#: Post text kept per sighting: a popup is not the place for a whole long-read; the case is.
TEXT_CAP = 2000
#: One thumbnail's bytes at most, and all of them together: 100,000 sightings of mostly
#: different pictures at ~6 KB each would add 800 MB of base64, so past the budget the
#: popups say the thumbnail was left out (15 MB is ~2,500 thumbnails of 6 KB).
THUMBNAIL_CAP = 32 * 1024
THUMBNAIL_BUDGET = 15 * 1024 * 1024
THUMBNAIL_PX = 160
#: Simplification of a user's control-of-territory layer, in degrees.
CONTROL_TOLERANCE_DEG = 0.002
NO_ACCOUNT = "(no account: media only)"
ATTRIBUTION = (
    "Outlines: Natural Earth (public domain) | Map library: Leaflet 1.9, BSD-2-Clause,"
    " © Vladimir Agafonkin, CloudMade | geotrace"
)
#: Fields of the sightings rows (or of ``place``) carried as dictionary-coded strings.
STRING_FIELDS = (
    "at_local",
    "time_basis",
    "country_de_jure",
    "country_de_facto",
    "border_confidence",
    "platform",
    "post_id",
    "sha256",
    "source",
    "text",
    "admin1",
    "settlement",
    "timezone",
    "utc_offset",
)


@dataclass(frozen=True)
class MapSummary:
    """What went onto the map, and what did not."""

    sightings: int
    accounts: int
    methods: int
    undated: int
    skipped: int  # rows with no usable position: not drawable, counted, never silently lost
    thumbnails: int
    thumbnails_left_out: int
    bytes_written: int
    basemap: str | None = None  # what of the user's tiles went in (EmbeddedTiles.note)
    # The layers of people (see ``people_layers``): what was drawn of each.
    flagged_legs: int = 0
    stays: int = 0
    crossings: int = 0
    meetings: int = 0
    silent: int = 0
    # A tiled map (``maptiles``): the folder beside the page, and its files.
    folder: str | None = None
    tiles: int = 0


class _Codes:
    """A string column as a list of distinct values and one small integer per row."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.codes: list[int] = []
        self._index: dict[str, int] = {}

    def add(self, value: Any) -> None:
        if value is None or value == "":
            self.codes.append(-1)
            return
        text = str(value)
        code = self._index.get(text)
        if code is None:
            code = self._index[text] = len(self.values)
            self.values.append(text)
        self.codes.append(code)

    def json(self) -> dict[str, list[Any] | None]:
        """Codes left out (None) where every row has its own value in row order: post ids,
        texts, hashes and paths are mostly unique, and their codes would cost ~6 bytes a row."""
        if len(self.values) == len(self.codes) and all(c == i for i, c in enumerate(self.codes)):
            return {"values": self.values, "codes": None}
        return {"values": self.values, "codes": self.codes}


def _account(row: Mapping[str, Any]) -> str:
    name, ident, platform = row.get("account_name"), row.get("account_id"), row.get("platform")
    if not name and not ident:
        return NO_ACCOUNT
    label = str(name or ident)
    if ident and name and str(ident) != str(name):
        label += f" ({ident})"
    return f"{platform}: {label}" if platform else label


def columns(
    rows: Iterable[Mapping[str, Any]], keys: dict[tuple[str, str], int] | None = None
) -> tuple[dict[str, Any], dict[str, int]]:
    """Rows as compact column arrays (the page's data), and counts for the summary.

    One pass over the rows, which come from a database cursor: every value is read once and
    coded to a small integer or a rounded number, so 100,000 rows cost a few megabytes.
    ``keys``, when given, gets each (platform, account_id)'s account index: the layers of
    people name accounts by those, the page by a label.
    """
    lat: list[float] = []
    lon: list[float] = []
    radius: list[float | None] = []
    times: list[int | None] = []
    account: list[int] = []
    method: list[int] = []
    confidence: list[float | None] = []
    uncertainty: list[float | None] = []
    ids: list[Any] = []
    strings = {name: _Codes() for name in STRING_FIELDS}
    accounts: dict[str, int] = {}
    methods: dict[str, int] = {}
    skipped = undated = 0
    for row in rows:
        la, lo = number(row.get("lat"), COORD_DECIMALS), number(row.get("lon"), COORD_DECIMALS)
        if la is None or lo is None or abs(la) > 90:
            skipped += 1
            continue
        lat.append(la)
        lon.append((lo + 180.0) % 360.0 - 180.0 if abs(lo) > 180 else lo)
        radius.append(number(row.get("radius_m"), 1))
        when = epoch(row.get("at_utc"))
        undated += when is None
        times.append(when)
        account.append(accounts.setdefault(_account(row), len(accounts)))
        if keys is not None and row.get("account_id"):
            keys.setdefault((str(row.get("platform") or ""), str(row["account_id"])), account[-1])
        method.append(methods.setdefault(str(row.get("method") or "unknown"), len(methods)))
        confidence.append(number(row.get("confidence"), 3))
        uncertainty.append(number(row.get("time_uncertainty_s"), 1))
        ids.append(row.get("id"))
        place = row.get("place") or {}
        text = row.get("text")
        values = {
            "at_local": row.get("at_local"),
            "time_basis": row.get("time_basis"),
            "country_de_jure": row.get("country_de_jure"),
            "country_de_facto": row.get("country_de_facto"),
            "border_confidence": row.get("border_confidence"),
            "platform": row.get("platform"),
            "post_id": row.get("post_id"),
            "sha256": row.get("media_sha256"),
            "source": row.get("media_path"),
            "text": str(text)[:TEXT_CAP] if text else None,
            "admin1": place.get("admin1_name") or row.get("admin1_code"),
            "settlement": _settlement(place),
            "timezone": place.get("timezone"),
            "utc_offset": place.get("utc_offset"),
        }
        for name, codes in strings.items():
            codes.add(values[name])
    data = {
        "lat": lat,
        "lon": lon,
        "radius_m": radius,
        "t": times,
        "account": account,
        "method": method,
        "confidence": confidence,
        "time_uncertainty_s": uncertainty,
        "id": ids,
        "strings": {name: codes.json() for name, codes in strings.items()},
        "account_names": list(accounts),
        "method_names": list(methods),
    }
    counts = {"skipped": skipped, "undated": undated}
    return data, counts


def _settlement(place: Mapping[str, Any]) -> str | None:
    name = place.get("settlement")
    if not name:
        return None
    km = place.get("settlement_km")
    return f"{name} ({float(km):.1f} km)" if isinstance(km, int | float) else str(name)


def script_json(value: Any) -> str:
    """JSON that cannot end the ``<script>`` element holding it, whatever its strings say."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _leaflet() -> tuple[str, str]:
    """Leaflet's script and stylesheet, from the installed xstatic-leaflet package."""
    base = resources.files("xstatic.pkg.leaflet").joinpath("data")
    js = base.joinpath("leaflet.js").read_text("utf-8")
    # The source map is a fetch the page must not make.
    js = "\n".join(line for line in js.splitlines() if not line.startswith("//# sourceMappingURL"))
    css = base.joinpath("leaflet.css").read_text("utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        png = base64.b64encode(base.joinpath("images", image).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{png})")
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("the map library cannot be inlined: it closes its own element")
    return js, css


def _web(name: str) -> str:
    return resources.files("geotrace.present").joinpath("web", name).read_text("utf-8")


#: Where a page's script takes the shared map and base layers (``web/mapbase.js``).
MAP_BASE = re.compile(r"^ */\*@@MAP_BASE@@[^\n]*\*/$", re.MULTILINE)


def app_js(name: str) -> str:
    """A page's script with the map and its base layers put in where it names them: one
    copy for the one-file map and the tiled one."""
    return MAP_BASE.sub(lambda _: _web("mapbase.js").rstrip("\n"), _web(name), count=1)


def _thumbnails(
    shas: list[str], thumbnails: Mapping[str, bytes] | None
) -> tuple[dict[str, str], int]:
    """The thumbnails of the mapped media within the caps, base64; and how many were left out."""
    out: dict[str, str] = {}
    left_out = 0
    budget = THUMBNAIL_BUDGET
    for sha in shas:
        data = (thumbnails or {}).get(sha)
        if data is None:
            continue
        if len(data) > THUMBNAIL_CAP or len(data) > budget or data[:3] != b"\xff\xd8\xff":
            left_out += 1
            continue
        budget -= len(data)
        out[sha] = base64.b64encode(data).decode("ascii")
    return out, left_out


def write_map(
    rows: Iterable[Mapping[str, Any]],
    out: TextIO,
    *,
    title: str,
    thumbnails: Mapping[str, bytes] | None = None,
    control: ControlLayer | None = None,
    basemap: TileSet | None = None,
    basemap_budget: int = DEFAULT_BUDGET,
    people: PeopleLayers | None = None,
) -> MapSummary:
    """Write the self-contained map page of ``rows`` (as ``places.queries.sightings`` gives them).

    A row may carry the post's ``text``; ``thumbnails`` maps a media sha256 to a small JPEG
    (see ``make_thumbnail``), embedded within ``THUMBNAIL_CAP`` / ``THUMBNAIL_BUDGET``;
    ``control`` adds the user's control-of-territory layer as a switchable overlay;
    ``basemap`` the user's raster tiles as a base layer, the levels that fit
    ``basemap_budget`` bytes (see ``export.basemap``); ``people`` the flagged legs, stays,
    crossings, meetings and silences of the case's accounts, each a layer to switch.
    """
    keys: dict[tuple[str, str], int] = {}
    data, counts = columns(rows, keys)
    layers = people or PeopleLayers()
    packed = map_layers(layers, keys, _last_seen(data, keys))
    tiles = None if basemap is None else basemap.embed(data["lat"], data["lon"], basemap_budget)
    tiles_note = None if tiles is None else tiles.note()
    thumbs, left_out = _thumbnails(data["strings"]["sha256"]["values"], thumbnails)
    jure, facto_changes = shared_layers()
    page_data = {
        "n": len(data["lat"]),
        "columns": data,
        "accounts": data["account_names"],
        "methods": data["method_names"],
        "thumbnails": thumbs,
        "tracked": [name != NO_ACCOUNT for name in data["account_names"]],
        "people": packed,
        "outlines": _packed_outlines(jure, facto_changes),
        "control": None if control is None else _packed_control(control),
        "basemap": None if tiles is None else _packed_tiles(tiles),
        "outline_names": {
            "de_jure": "Countries, de jure (Natural Earth)",
            "de_facto": "Countries, de facto (Natural Earth admin-1)",
        },
        "attribution": ATTRIBUTION,
        "note": (
            f"{counts['skipped']} sighting(s) without a usable position are not drawn. "
            f"Post text is cut at {TEXT_CAP} characters. "
            f"{left_out} thumbnail(s) left out (over {THUMBNAIL_CAP // 1024} KB each or "
            f"{THUMBNAIL_BUDGET // 2**20} MB in all)."
            + ("" if tiles_note is None else f" The {tiles_note}.")
            + _people_note(packed)
        ),
    }
    js, css = _leaflet()
    page = _web("map.html")
    parts = {
        "@@TITLE@@": html.escape(title),
        "@@LEAFLET_CSS@@": css,
        "@@APP_CSS@@": _web("map.css"),
        "@@DATA@@": script_json(page_data),
        "@@LEAFLET_JS@@": js,
        "@@APP_JS@@": app_js("map.js"),
    }
    written = 0
    for chunk in _fill(page, parts):
        out.write(chunk)
        written += len(chunk.encode("utf-8"))
    return MapSummary(
        sightings=page_data["n"],
        accounts=len(page_data["accounts"]),
        methods=len(page_data["methods"]),
        undated=counts["undated"],
        skipped=counts["skipped"],
        thumbnails=len(thumbs),
        thumbnails_left_out=left_out,
        bytes_written=written,
        basemap=tiles_note,
        flagged_legs=len(packed["legs"]["w"]),
        stays=len(packed["stays"]["w"]),
        crossings=len(packed["crossings"]["w"]),
        meetings=len(packed["meetings"]["w"]),
        silent=len(packed["silences"]["w"]),
    )


def _last_seen(
    data: Mapping[str, Any], keys: Mapping[tuple[str, str], int]
) -> dict[tuple[str, str], tuple[float, float]]:
    """Each account's last dated sighting (where a silence marker goes), from the columns
    in one vectorised pass: the latest instant per account, the later row on a tie."""
    t = np.array([np.nan if x is None else x for x in data["t"]], dtype=np.float64)
    account = np.asarray(data["account"], dtype=np.int64)
    dated = np.flatnonzero(~np.isnan(t))
    if not len(dated) or not keys:
        return {}
    order = dated[np.lexsort((dated, t[dated], account[dated]))]
    last = order[np.r_[account[order][1:] != account[order][:-1], True]]
    where = {int(account[i]): (data["lat"][i], data["lon"][i]) for i in last.tolist()}
    return {k: where[i] for k, i in keys.items() if i in where}


def _people_note(packed: Mapping[str, Any]) -> str:
    """What the layers of people hold, and the instant the silences were measured at."""
    if not any(packed[k]["w"] for k in ("legs", "stays", "crossings", "meetings", "silences")):
        return ""
    unplaced = packed["unplaced_silences"]
    return (
        f" Layers of people: {len(packed['legs']['w'])} flagged leg(s),"
        f" {len(packed['stays']['w'])} stay(s) and base(s), {len(packed['crossings']['w'])}"
        f" crossing(s), {len(packed['meetings']['w'])} meeting(s),"
        f" {len(packed['silences']['w'])} silent account(s) marked at the last sighting"
        + (f" ({unplaced} more with no sighting to mark)" if unplaced else "")
        + (f"; silence as of {packed['as_of']}." if packed["as_of"] else ".")
    )


def _packed_tiles(tiles: EmbeddedTiles) -> dict[str, Any]:
    """The embedded tiles for the page; the attribution escaped here, because Leaflet's
    attribution control writes what it is given as HTML and the file is the user's."""
    return {
        "mime": tiles.mime,
        "tiles": tiles.tiles,
        "attribution": html.escape(tiles.attribution or tiles.name),
        "zooms": tiles.zooms,
    }


def _pack_polygons(geom: Any, scale: int) -> list[list[list[int]]]:
    """A (Multi)Polygon as polygons of rings of integer (lon, lat) deltas in 1/scale degree."""
    out = []
    for poly in shapely.get_parts(geom):
        rings = [poly.exterior, *poly.interiors]
        packed = []
        for ring in rings:
            flat = np.rint(shapely.get_coordinates(ring) * scale).astype(np.int64).ravel()
            flat[2:] -= flat[:-2].copy()
            packed.append(flat.tolist())
        out.append(packed)
    return out


def _packed_control(layer: ControlLayer) -> dict[str, Any]:
    """The user's control layer, one simplified outline per label (who controls it).

    Front-line files run to 10^5 vertices; at ``CONTROL_TOLERANCE_DEG`` (~200 m) the drawn
    line is still finer than any uncertainty circle it is read against.
    """
    geoms = np.asarray(layer.tree.geometries, dtype=object)
    labels = np.asarray(layer.labels, dtype=object).astype(str)
    features = []
    for label in sorted(set(labels.tolist())):
        merged = shapely.union_all(geoms[labels == label])
        merged = shapely.simplify(merged, CONTROL_TOLERANCE_DEG, preserve_topology=True)
        polygons = shapely.get_parts(merged)
        polygons = polygons[shapely.get_type_id(polygons) == shapely.GeometryType.POLYGON]
        if len(polygons):
            features.append(
                {"label": label, "p": _pack_polygons(shapely.multipolygons(polygons), 10_000)}
            )
    return {"scale": 10_000, "source": layer.describe(), "features": features}


def _packed_outlines(jure: dict[str, Any], facto: dict[str, Any]) -> dict[str, Any]:
    """Outlines as integer deltas in 1/1000 degree (what ``outlines`` keeps): half the
    bytes of GeoJSON decimals, and the base layer is in every page; the page unpacks them."""
    scale = 10**OUTLINE_DECIMALS

    def ring(coords: list[list[float]]) -> list[int]:
        flat = np.rint(np.asarray(coords, dtype=np.float64) * scale).astype(np.int64).ravel()
        flat[2:] -= flat[:-2].copy()
        out: list[int] = flat.tolist()
        return out

    def feature(f: dict[str, Any]) -> dict[str, Any]:
        geometry = f["geometry"]
        polygons = geometry["coordinates"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        return {**f["properties"], "p": [[ring(r) for r in poly] for poly in polygons]}

    return {
        "scale": scale,
        "de_jure": [feature(f) for f in jure["features"]],
        "de_facto": {"drop": facto["drop"], "add": [feature(f) for f in facto["add"]]},
    }


def _fill(template: str, parts: Mapping[str, str]) -> Iterator[str]:
    """The template with each ``@@NAME@@`` replaced once; the inserted text is never rescanned
    (a post text holding ``@@APP_JS@@`` stays text)."""
    rest = template
    while True:
        start = rest.find("@@")
        end = rest.find("@@", start + 2) if start >= 0 else -1
        if start < 0 or end < 0:
            yield rest
            return
        key = rest[start : end + 2]
        yield rest[:start]
        yield parts[key]
        rest = rest[end + 2 :]


def make_thumbnail(data: bytes, size: int = THUMBNAIL_PX) -> bytes | None:
    """A small JPEG of a picture, or None where it cannot be decoded.

    Pillow's draft mode decodes a JPEG at 1/8 scale; its decompression-bomb guard stays on
    (pictures are hostile), and any failure means "no thumbnail", never a failed map.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (size, size))
            image.thumbnail((size, size))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=70)
            return buffer.getvalue()
    except Exception:
        return None


#: Characters of the post shown either side of a place its text names.
CUE_CONTEXT = 160


def named_in_text(evidence: dict[str, Any], text: str | None) -> str:
    """What a text sighting rests on, for its popup: the words that named the place, the
    relation they give it, and the sentence around them, so that a reviewer sees why."""
    named = " ".join(str(w) for w in (evidence.get("cue"), evidence.get("named")) if w)
    head = f"named in the text ({evidence.get('relation')}): \u201c{named}\u201d"
    start, end = evidence.get("start"), evidence.get("end")
    if not text or not isinstance(start, int) or not isinstance(end, int):
        return head
    before = max(0, start - CUE_CONTEXT)
    after = min(len(text), end + CUE_CONTEXT)
    around = (
        ("\u2026" if before else "") + text[before:after] + ("\u2026" if after < len(text) else "")
    )
    return f"{head}\n{around}"


def case_rows(case_path: str | Path) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """A case's sightings, each with its post's ``text``, and thumbnails of its pictures."""
    from geotrace.places.queries import sightings
    from geotrace.store.case import Case

    case = Case(Path(case_path))
    try:
        posts = case.sighted_posts()
        rows = []
        thumbs: dict[str, bytes] = {}
        budget = THUMBNAIL_BUDGET
        for row in sightings(case.db):
            key = (str(row.get("platform")), str(row.get("post_id")))
            post = posts.get(key) if row.get("post_id") else None
            row["text"] = None if post is None or post[0] is None else str(post[0])
            if row.get("method") == "text_toponym" and isinstance(row.get("evidence"), dict):
                row["text"] = named_in_text(row["evidence"], row["text"])
            sha = row.get("media_sha256")
            if sha and sha not in thumbs and budget > 0 and row.get("media_kind") == "image":
                path = case.media.path_of(sha)
                thumb = make_thumbnail(path.read_bytes()) if path.is_file() else None
                if thumb is not None:
                    thumbs[sha] = thumb
                    budget -= len(thumb)
            rows.append(row)
    finally:
        case.close()
    return rows, thumbs


def case_map(
    case_path: str | Path,
    out: TextIO,
    *,
    title: str | None = None,
    control: ControlLayer | None = None,
    basemap: TileSet | None = None,
    basemap_budget: int = DEFAULT_BUDGET,
    people: PeopleLayers | None = None,
) -> MapSummary:
    """The map of a case: its sightings, each post's text, thumbnails of its pictures, and
    the layers of people the caller read (see ``write_map``)."""
    rows, thumbs = case_rows(case_path)
    name = title or f"geotrace map: {Path(case_path).name}"
    return write_map(
        rows,
        out,
        title=name,
        thumbnails=thumbs,
        control=control,
        basemap=basemap,
        basemap_budget=basemap_budget,
        people=people,
    )
