"""Which of a name's places the text means, how sure that is, and how wide the place is.

A name such as "Мирный", "Победа" or "Октябрьское" can mean hundreds of places.  The pick is a
score: log population (people write about big places), a bonus for capitals (PPLC > PPLA >
PPLA2), a prior for Ukraine and Russia (and Belarus) when the form is Cyrillic, the admin-1
units and places the same text names unambiguously ("Мирный (Якутия)", "в Мирном
Архангельской области", Бахмут beside Соледар), and the caller's context (the admin-1 units
and countries the same author named in nearby posts).  An admin-1 unit named right after a
settlement decides outright.  The research note (``shared/research/text.md``) measured this
family of priors at ~0.97 right on the ambiguous-name subset of its labelled set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from geotrace.evidence.text.mention import PlaceMention, Relation
from geotrace.geo import distance_m
from geotrace.geodata.names import LATIN, Form, Names, Place


@dataclass(slots=True)
class Hit:
    """A span the scanner kept, before resolution (mutable: list members inherit relations)."""

    start: int
    end: int
    last: int  # last token of the span
    text: str
    form: Form | None  # None for a feature
    kind_hint: str  # "admin1" (an admin noun follows), "settlement" (a settlement word before)
    relation: Relation
    cue: str
    cue_token: int
    phrase: tuple[str, ...]  # the preposition phrase, () if none
    feature: str | None = None
    #: the form is also an ordinary word or a person's name: kept on a preposition only
    doubtful: bool = False
    #: an admin-1 unit an adjective before the name gives ("курской Новоивановки")
    admin1_hint: str | None = None


#: Score bonus of a GeoNames feature code: a capital is named more than its population says.
#: The shipped gazetteer keeps only PPLC (``geodata/names.py``: its settlements.npz has no
#: feature column), so admin-centre ranks (PPLA, PPLA2) cannot be told apart here.
_FEATURE_BONUS: Final = {"PPLC": 3.0}
#: Prior of a country for Cyrillic forms: the corpus is Russian/Ukrainian war news.
_COUNTRY_PRIOR: Final = {"UA": 3.0, "RU": 3.0, "BY": 1.5}
_UK_UA: Final = 0.5
#: "под X" / "біля X" is front-line usage (research note, section 6): the admin-1 units of
#: the front line and the Russian border regions since 2022 get a bonus for "near" names.
_FRONT: Final = frozenset(
    {"UA-14", "UA-09", "UA-23", "UA-65", "UA-63", "UA-59", "UA-74", "UA-43", "RU-KRS", "RU-BEL",
     "RU-BRY"}
)  # fmt: skip
_FRONT_BONUS: Final = 3.0
#: Scores of area kinds in log-population units: an oblast outranks a village of its name
#: (village Крым, 4k people: 8.3) but not a city (Запорожье 750k + PPLA: 15.5).  Countries
#: always win: no settlement is meant by "Грузия" in this corpus.
_AREA_BASE: Final = {"country": 30.0, "admin1": 12.0, "region": 11.5}
#: Same admin-1 as an admin-1 unit the text names / as an unambiguous settlement of the text;
#: within _NEAR_KM of an unambiguous settlement.  (A country the text names is no help:
#: "Вооруженных сил России" beside Волчанск picked Sverdlovsk oblast's over Kharkiv's.)
_NAMED_ADMIN1: Final = 6.0
_ANCHOR_ADMIN1: Final = 3.0
_ANCHOR_NEAR: Final = 2.0
#: A settlement this large keeps its name against an admin-1 unit of the same name.
_CITY: Final = 50_000
_NEAR_KM: Final = 150.0
#: Weight of the caller's context (per unit of its 0..1 weights).
_CONTEXT_ADMIN1: Final = 4.0
_CONTEXT_COUNTRY: Final = 2.0
#: A pick is an anchor for the others when its margin over the runner-up is at least this.
_ANCHOR_MARGIN: Final = 4.0
#: Confidence = _TOP * logistic(margin - _SHIFT): a tie gives 0.26, margin 3 gives 0.83.
_TOP: Final = 0.95
_SHIFT: Final = 1.0
#: Cap for a pick among close candidates that nothing in the text or context supported.
_UNSUPPORTED: Final = 0.5
#: Confidence of features and of unknown settlements (named, not placed).
_FEATURE_CONF: Final = 0.6
#: "под/біля X" in front-line reports means up to ~20 km off (research note, section 6).
_NEAR_EXTRA_M: Final = 20_000.0


def settlement_radius_m(population: int) -> float:
    """Built-up radius of a settlement: clamp(1.5 + 0.012 * sqrt(pop), 2, 25) km.

    The research note's rule (section 6): a village 2 km, 50 k people 4 km, 1 M 13 km,
    Kyiv/Moscow 22-25 km; it is the radius inside which "в X" puts the writer.
    """
    return 1000.0 * min(25.0, max(2.0, 1.5 + 0.012 * math.sqrt(max(population, 0))))


@dataclass(frozen=True, slots=True)
class _Pick:
    place: Place
    margin: float  # score over the runner-up (inf when alone)
    candidates: int
    supported: bool  # did the text or the context add to the winner's score


def resolve(
    hits: Sequence[Hit],
    gz: Names,
    context_admin1: Mapping[str, float],
    context_countries: Mapping[str, float],
    lang: str,
    text: str,
) -> tuple[PlaceMention, ...]:
    """The mentions of ``hits`` (spans of ``text``), each resolved among its form's places."""
    explicit = _explicit(hits, gz, text)
    for i, hit in enumerate(hits):
        if hit.admin1_hint is not None:
            explicit.setdefault(i, frozenset((hit.admin1_hint,)))
    # first pass: no text context; its confident picks anchor the second pass
    first = [
        None if h.form is None else _pick(h, gz, _Scene.empty(), explicit.get(i), lang)
        for i, h in enumerate(hits)
    ]
    scene = _Scene.of(first, context_admin1, context_countries)
    out: list[PlaceMention] = []
    for i, hit in enumerate(hits):
        code = explicit.get(i)
        if hit.form is None or (code is not None and _elsewhere(hit.form, gz, code)):
            # "Новоивановка Курской области" where the gazetteer holds only Ukraine's
            # Novoivanovkas: a village it lacks, in the oblast the text names
            out.append(_feature(hit, scene, code))
            continue
        pick = _pick(hit, gz, scene.without(i), code, lang)
        if pick is not None:
            out.append(_mention(hit, pick, gz))
    return tuple(out)


#: Distinct settlements a text anchors its other mentions with: enough for any post
#: (the gold set's most is 8), bounded for a hostile one.
_MAX_ANCHORS = 64


@dataclass(frozen=True, slots=True)
class _Scene:
    """What the text (and the caller) say beyond one mention."""

    admin1: frozenset[str]  # admin-1 units named as such
    #: Confident settlement picks, each once with the hits that made it, the first
    #: ``_MAX_ANCHORS``: a text naming Moscow 4,000 times compared every candidate of
    #: every mention with every other mention (37 s; tests/evidence/test_text_hostile.py).
    anchors: tuple[tuple[frozenset[int], Place], ...]
    ctx_admin1: Mapping[str, float]
    ctx_countries: Mapping[str, float]

    @staticmethod
    def empty() -> _Scene:
        return _Scene(frozenset(), (), {}, {})

    @staticmethod
    def of(
        picks: Sequence[_Pick | None],
        ctx_admin1: Mapping[str, float],
        ctx_countries: Mapping[str, float],
    ) -> _Scene:
        admin1: set[str] = set()
        anchored: dict[int, tuple[set[int], Place]] = {}
        for i, pick in enumerate(picks):
            if pick is None or pick.margin < _ANCHOR_MARGIN:
                continue
            place = pick.place
            if place.kind == "admin1" and place.admin1:
                admin1.add(place.admin1)
            elif place.kind == "region" and len(place.members) == 1:
                admin1.add(place.members[0])
            elif place.kind == "settlement":
                if place.index in anchored:
                    anchored[place.index][0].add(i)
                elif len(anchored) < _MAX_ANCHORS:
                    anchored[place.index] = ({i}, place)
        anchors = tuple((frozenset(hits), place) for hits, place in anchored.values())
        return _Scene(frozenset(admin1), anchors, ctx_admin1, ctx_countries)

    def without(self, index: int) -> _Scene:
        """The scene as mention ``index`` sees it: a place only it anchored is left out
        (a name does not support itself), one anchored by another mention too stays."""
        if not any(hits == {index} for hits, _ in self.anchors):
            return self
        anchors = tuple(a for a in self.anchors if a[0] != {index})
        return _Scene(self.admin1, anchors, self.ctx_admin1, self.ctx_countries)


def _explicit(hits: Sequence[Hit], gz: Names, text: str) -> dict[int, frozenset[str]]:
    """Settlements followed at once by an admin-1 unit or a region ("Мирный (Якутия)", "в
    Мирном Архангельской области", "Новодаровка в Запорожской области", "Ильинка в
    Донбассе"; not after a comma, which makes a list: "Вінниця, Київська область"): hit
    index -> the admin-1 codes the settlement must lie in."""
    out: dict[int, frozenset[str]] = {}
    for i in range(len(hits) - 1):
        hit, nxt = hits[i], hits[i + 1]
        if nxt.form is None or (hit.form is None and hit.feature != "settlement"):
            continue
        if text[hit.end : nxt.start].strip(" (—–-").lower() not in _JOINERS:
            continue
        areas = [gz.place(ix) for ix in nxt.form.places]
        areas = [p for p in areas if p.kind in ("admin1", "region")]
        if len(areas) == 1 and (nxt.kind_hint == "admin1" or _only_areas(nxt.form, gz)):
            area = areas[0]
            codes = frozenset(area.members if area.kind == "region" else (area.admin1 or "",))
            if all(codes):
                out[i] = codes
    return out


#: What may stand between a settlement and the admin-1 unit that places it.
_JOINERS: Final = frozenset({"", "в", "у", "во"})


def _elsewhere(form: Form, gz: Names, codes: frozenset[str]) -> bool:
    """Whether no place of ``form`` lies in the admin-1 units ``codes``, all settlements."""
    places = [gz.place(ix) for ix in form.places]
    return all(p.kind == "settlement" and p.admin1 not in codes for p in places)


def _only_areas(form: Form, gz: Names) -> bool:
    return all(gz.place(ix).kind != "settlement" for ix in form.places)


def _pick(
    hit: Hit, gz: Names, scene: _Scene, explicit: frozenset[str] | None, lang: str
) -> _Pick | None:
    """The best place for one hit, its margin and the number of candidates."""
    assert hit.form is not None
    places = [gz.place(ix) for ix in hit.form.places]
    if hit.kind_hint == "admin1":
        areas = [p for p in places if p.kind in ("admin1", "region")]
        places = areas or places
    elif hit.kind_hint == "settlement":
        settled = [p for p in places if p.kind == "settlement"]
        places = settled or places
    if explicit is not None:
        chosen = [p for p in places if p.admin1 in explicit]
        places = chosen or places
    if not places:
        return None
    cyrillic = hit.form.lang != LATIN
    # among other admin-1 units, "Крымом" is Crimea, not the village of Krym; a city named
    # like its oblast (Запорожье) stays the city
    villages = not any(p.kind == "settlement" and p.population >= _CITY for p in places)
    front = hit.relation == "near"
    scored = sorted(
        ((_score(p, scene, cyrillic, lang, villages, front), p) for p in places),
        key=lambda sp: (-sp[0][0], sp[1].index),
    )
    (best, supported), place = scored[0]
    # the runner-up that disagrees: Sevastopol the city and Sevastopol the admin-1 unit
    # around it are one answer at two scales
    rivals = [s for (s, _), p in scored[1:] if not _same_answer(place, p)]
    margin = best - rivals[0] if rivals else math.inf
    return _Pick(place, margin, len(hit.form.places), supported or explicit is not None)


def _same_answer(place: Place, other: Place) -> bool:
    """Whether ``other`` is an area that contains the settlement ``place``."""
    return (
        place.kind == "settlement"
        and other.kind != "settlement"
        and (
            other.admin1 == place.admin1
            or (other.kind == "country" and other.country == place.country)
        )
    )


def _score(
    place: Place, scene: _Scene, cyrillic: bool, lang: str, villages: bool, front: bool
) -> tuple[float, bool]:
    """A place's score and whether the text or context added to it."""
    if place.kind == "settlement":
        score = math.log(place.population + 1) + _FEATURE_BONUS.get(place.feature, 0.0)
    else:
        score = _AREA_BASE[place.kind]
    if front and place.admin1 in _FRONT:
        score += _FRONT_BONUS  # "под Северском" is Siversk (11k), not Seversk (108k)
    if cyrillic and place.country:
        score += _COUNTRY_PRIOR.get(place.country, 0.0)
        if lang == "uk" and place.country == "UA":
            score += _UK_UA  # a Ukrainian text: Ukraine's homonym first
    extra = 0.0
    named = place.admin1 is not None and place.admin1 in scene.admin1
    if named or (place.kind != "settlement" and scene.admin1 and villages):
        extra += _NAMED_ADMIN1
    elif place.kind == "settlement" and scene.anchors:
        if any(a.admin1 == place.admin1 for _, a in scene.anchors):
            extra += _ANCHOR_ADMIN1
        elif any(
            distance_m(a.lat, a.lon, place.lat, place.lon) <= _NEAR_KM * 1000.0
            for _, a in scene.anchors
        ):
            extra += _ANCHOR_NEAR
    if place.admin1:
        extra += _CONTEXT_ADMIN1 * scene.ctx_admin1.get(place.admin1, 0.0)
    if place.country:
        extra += _CONTEXT_COUNTRY * scene.ctx_countries.get(place.country, 0.0)
    return score + extra, extra > 0.0


def _confidence(pick: _Pick) -> float:
    """Higher with the margin over the runner-up; capped when close candidates had no help."""
    if pick.margin == math.inf:
        return _TOP
    conf = _TOP / (1.0 + math.exp(-(pick.margin - _SHIFT)))
    if not pick.supported and pick.margin < 2.0:
        conf = min(conf, _UNSUPPORTED)
    return conf


def _mention(hit: Hit, pick: _Pick, gz: Names) -> PlaceMention:
    place = pick.place
    conf = _confidence(pick) * (0.85 if hit.doubtful else 1.0)
    relation = hit.relation
    if relation == "near" and hit.phrase == ("у",) and place.kind != "settlement":
        relation = "unknown"  # "у Украины" is a possession; "у Бахмута" a front line
    common = dict(
        start=hit.start,
        end=hit.end,
        text=hit.text,
        relation=relation,
        confidence=conf,
        cue=hit.cue,
        candidates=pick.candidates,
    )
    if place.kind == "settlement":
        radius = settlement_radius_m(place.population)
        if relation == "near":
            radius += _NEAR_EXTRA_M
        return PlaceMention(
            kind="settlement",
            geonameid=place.geonameid,
            admin1=place.admin1,
            country=place.country,
            lat=place.lat,
            lon=place.lon,
            radius_m=radius,
            **common,  # type: ignore[arg-type]
        )
    if place.kind == "region":
        return PlaceMention(
            kind="region",
            region=place.region,
            admin1=place.members[0] if len(place.members) == 1 else None,
            country=place.country,
            radius_m=place.radius_m,
            **common,  # type: ignore[arg-type]
        )
    return PlaceMention(
        kind=place.kind,
        admin1=place.admin1 if place.kind == "admin1" else None,
        country=place.country,
        radius_m=place.radius_m,
        **common,  # type: ignore[arg-type]
    )


def _feature(hit: Hit, scene: _Scene, explicit: frozenset[str] | None) -> PlaceMention:
    """A feature, never placed; a settlement feature keeps the admin-1 unit named right after
    it, or else the text's one admin-1 unit."""
    admin1 = next(iter(explicit)) if explicit is not None and len(explicit) == 1 else None
    feature = hit.feature or "settlement"
    if admin1 is None and feature == "settlement" and len(scene.admin1) == 1:
        admin1 = next(iter(scene.admin1))
    return PlaceMention(
        start=hit.start,
        end=hit.end,
        text=hit.text,
        kind="feature",
        relation=hit.relation,
        confidence=_FEATURE_CONF,
        admin1=admin1,
        cue=hit.cue,
        feature=feature,
    )
