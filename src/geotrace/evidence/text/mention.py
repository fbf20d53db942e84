"""What the text stage finds in a post: typed records, and their JSON as the CLI writes it.

A place named in a text is evidence that the post talks about the place, not a position
fix: each mention keeps the relation its grammar gives it (at / near / from / to) and an
honest radius, and only "at" and "near" become sightings (method ``text_toponym``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: The languages told apart; anything else (Belarusian, English, a row of emoji) is "other".
Language = Literal["ru", "uk", "other"]
#: What the grammar says of the place: "в Донецке" at, "под Иловайском" near, "из Бурятии"
#: / "родом из" from, "в Донецк" / "до Києва" to; a bare name (a subject, a title) unknown.
Relation = Literal["at", "near", "from", "to", "unknown"]
#: What a mention resolved to.  "feature" is a named thing that is not placed: a river, a
#: street, an airfield, a sea, or a settlement the gazetteer does not hold.
PlaceKind = Literal["settlement", "admin1", "country", "region", "feature"]
#: Casualty signals.  "losses" is an aggregate ("потери ВСУ за сутки"), kept apart from one
#: person's "death" because it says nothing of the writer or of whom the writer knew.
CasualtyKind = Literal["death", "wounded", "captured", "missing", "condolence", "losses"]
CASUALTY_KINDS: tuple[CasualtyKind, ...] = (
    "death",
    "wounded",
    "captured",
    "missing",
    "condolence",
    "losses",
)


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """One place named in a text; offsets are Python string indices into the text."""

    start: int
    end: int
    text: str
    kind: PlaceKind
    relation: Relation
    confidence: float
    geonameid: int | None = None
    #: The shipped admin-1 layer's code (``geodata/data/admin1.json``), e.g. "UA-14".
    admin1: str | None = None
    #: ISO 3166-1 alpha-2.
    country: str | None = None
    #: A named region's slug ("donbas"); its member admin-1 codes are in the gazetteer.
    region: str | None = None
    #: A point only for a settlement; an oblast, a country or a region is its polygon.
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    #: The words that set the relation ("под", "родом из"), for a reviewer; "" if none.
    cue: str = ""
    #: The feature's type when kind is "feature": river, street, airfield, sea, settlement.
    feature: str | None = None
    #: How many gazetteer places the name could mean before context chose one.
    candidates: int = 0

    def json(self) -> dict[str, Any]:
        """The mention as ``geotrace mentions`` writes it: absent values are left out."""
        out: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "kind": self.kind,
        }
        for key in ("geonameid", "admin1", "country", "region", "lat", "lon", "radius_m"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.feature is not None:
            out["feature"] = self.feature
        out["relation"] = self.relation
        out["confidence"] = round(self.confidence, 3)
        if self.cue:
            out["cue"] = self.cue
        return out


@dataclass(frozen=True, slots=True)
class Span:
    """A unit (or any other cue) as found: offsets and the text between them."""

    start: int
    end: int
    text: str

    def json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class CasualtyCue:
    """The words that carry a casualty signal, so that a reviewer sees why."""

    kind: CasualtyKind
    start: int
    end: int
    text: str

    def json(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class TextReading:
    """Everything read out of one text."""

    lang: Language
    places: tuple[PlaceMention, ...] = ()
    units: tuple[Span, ...] = ()
    casualty_cues: tuple[CasualtyCue, ...] = ()

    @property
    def casualty(self) -> list[CasualtyKind]:
        """The kinds signalled, in the fixed order of ``CASUALTY_KINDS``."""
        found = {cue.kind for cue in self.casualty_cues}
        return [kind for kind in CASUALTY_KINDS if kind in found]

    def json(self, ident: Any) -> dict[str, Any]:
        """One line of ``geotrace mentions --jsonl``'s output."""
        return {
            "id": ident,
            "lang": self.lang,
            "places": [p.json() for p in self.places],
            "units": [u.json() for u in self.units],
            "casualty": self.casualty,
            "casualty_cues": [c.json() for c in self.casualty_cues],
        }
