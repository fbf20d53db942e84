"""Crossings: real places from the resolver, hand-made windows, and the confidence rules."""

from __future__ import annotations

import numpy as np

from geotrace.analysis.crossings import Crossing, crossings
from geotrace.analysis.points import Points
from geotrace.places import resolve

BELGOROD = (50.5957, 36.5873)
KHARKIV = (49.9935, 36.2304)
ROSTOV = (47.2357, 39.7015)
SIMFEROPOL = (44.9521, 34.1024)
MELITOPOL = (46.8489, 35.3653)


def placed(
    where: list[tuple[float, float]],
    t: list[float],
    u: list[float],
    radius_m: float | list[float] = 50.0,
) -> Points:
    """Sightings placed by the places stage's own resolver, as the case would hold them."""
    lat, lon = np.array(where).T
    found = resolve(lat, lon)
    return Points.build(
        lat=lat,
        lon=lon,
        t=t,
        u=u,
        radius_m=radius_m,
        country_de_jure=found.country_de_jure,
        country_de_facto=found.country_de_facto,
        admin1=found.admin1_code,
        border_confidence=found.border_confidence,
    )


def by_level(events: list[Crossing]) -> dict[str, list[Crossing]]:
    out: dict[str, list[Crossing]] = {}
    for e in events:
        out.setdefault(e.level, []).append(e)
    return out


def test_belgorod_to_kharkiv() -> None:
    """Two sightings in Belgorod, then two in Kharkiv: one event per level, between the
    last Belgorod window's start and the first Kharkiv window's end."""
    points = placed(
        [BELGOROD, BELGOROD, KHARKIV, KHARKIV],
        t=[0.0, 600.0, 7_200.0, 8_000.0],
        u=[30.0, 60.0, 300.0, 5.0],
    )
    events = by_level(crossings(points))
    assert sorted(events) == ["admin1", "country_de_facto", "country_de_jure"]
    for level, left, entered in [
        ("country_de_jure", "RU", "UA"),
        ("country_de_facto", "RU", "UA"),
        ("admin1", "RU-BEL", "UA-63"),
    ]:
        (e,) = events[level]
        assert (e.left, e.entered) == (left, entered)
        assert (e.after_utc, e.before_utc) == (540.0, 7_500.0)
        assert (e.last_index, e.first_index) == (1, 2)
        assert e.confidence == "high"  # both cities are over 30 km from the border


def test_crimea_is_ukraine_de_jure_and_russia_de_facto() -> None:
    """Rostov to Simferopol crosses into Ukraine de jure and never leaves Russia de facto."""
    points = placed([ROSTOV, SIMFEROPOL], t=[0.0, 86_400.0], u=[1.0, 1.0])
    assert points.country_de_jure.tolist() == ["RU", "UA"]
    assert points.country_de_facto.tolist() == ["RU", "RU"]
    events = by_level(crossings(points))
    assert "country_de_facto" not in events
    (jure,) = events["country_de_jure"]
    assert (jure.left, jure.entered, jure.confidence) == ("RU", "UA", "high")
    (region,) = events["admin1"]
    assert (region.left, region.entered) == ("RU-ROS", "UA-43")
    # Melitopol to Simferopol: the other way round.  The line crossed is no de jure border,
    # so nothing measured its distance and the confidence stops at medium.
    inside = by_level(crossings(placed([MELITOPOL, SIMFEROPOL], t=[0.0, 9e3], u=[1.0, 1.0])))
    assert "country_de_jure" not in inside
    (facto,) = inside["country_de_facto"]
    assert (facto.left, facto.entered, facto.confidence) == ("UA", "RU", "medium")
    assert [(e.left, e.entered) for e in inside["admin1"]] == [("UA-23", "UA-43")]


def test_near_the_border_the_resolver_s_confidence_carries_through() -> None:
    """North of Kharkiv, on the Belgorod road: sightings 0.7 km and 3 km south of the
    border (Natural Earth's line) make a low and a medium crossing; a 3 km disc on the
    medium one may reach the border, so that one is low too."""
    near_ua, mid_ua = (50.34, 36.20), (50.30, 36.20)
    for where, radius, expected in [
        (near_ua, 50.0, "low"),
        (mid_ua, 50.0, "medium"),
        (mid_ua, 3_000.0, "low"),
    ]:
        points = placed([BELGOROD, where], t=[0.0, 3_600.0], u=[1.0, 1.0], radius_m=[50.0, radius])
        assert points.country_de_jure.tolist() == ["RU", "UA"]
        assert {e.level: e.confidence for e in crossings(points)} == {
            "country_de_jure": expected,
            "country_de_facto": expected,
            "admin1": expected,
        }


def labelled(
    sides: str, confidence: str, radius_m: float = 50.0, u: float = 60.0
) -> list[Crossing]:
    """De jure crossings of a track written as letters: R = RU, U = UA, - = unplaced, one
    sighting an hour; ``confidence`` gives each one's border confidence as h, m or l."""
    words = {"h": "high", "m": "medium", "l": "low"}
    points = Points.build(
        lat=np.full(len(sides), 50.0),
        lon=np.full(len(sides), 36.0),
        t=np.arange(len(sides)) * 3_600.0,
        u=u,
        radius_m=radius_m,
        country_de_jure=[{"R": "RU", "U": "UA", "-": ""}[c] for c in sides],
        border_confidence=[words[c] for c in confidence],
    )
    return crossings(points)


def test_runs_collapse_and_unplaced_sightings_are_skipped() -> None:
    assert labelled("RR-RR", "hhhhh") == []
    (e,) = labelled("RR--UU", "hhhhhh")
    assert (e.left, e.entered, e.last_index, e.first_index) == ("RU", "UA", 1, 4)
    assert (e.after_utc, e.before_utc) == (3_600.0 - 60.0, 4 * 3_600.0 + 60.0)
    assert [(e.left, e.entered) for e in labelled("RUUR", "hhhh")] == [("RU", "UA"), ("UA", "RU")]


def test_confidence_is_the_weaker_sighting() -> None:
    assert [e.confidence for e in labelled("RRUU", "hhmh")] == ["medium"]
    assert [e.confidence for e in labelled("RRUU", "hlhh")] == ["low"]
    assert [e.confidence for e in labelled("RRUU", "lhhl")] == ["high"]


def test_a_disc_that_may_reach_the_border_counts_one_step_lower() -> None:
    """'high' guarantees 5 km to the border, 'medium' 2 km: a wider disc may straddle it."""
    assert [e.confidence for e in labelled("RU", "hh", radius_m=4_000.0)] == ["high"]
    assert [e.confidence for e in labelled("RU", "hh", radius_m=6_000.0)] == ["medium"]
    assert [e.confidence for e in labelled("RU", "mm", radius_m=2_500.0)] == ["low"]
    assert [e.confidence for e in labelled("RU", "ll", radius_m=0.0)] == ["low"]


def test_overlapping_windows_leave_the_direction_open() -> None:
    """Sightings an hour apart with ±14 h windows may have come in either order."""
    (e,) = labelled("RU", "hh", u=14 * 3_600.0)
    assert e.confidence == "medium"
    assert (e.after_utc, e.before_utc) == (-14 * 3_600.0, 15 * 3_600.0)


def test_a_lone_sighting_on_the_other_side() -> None:
    """R R U R R is two crossings, both resting on one sighting."""
    weak = labelled("RRURR", "hhmhh")
    assert [(e.left, e.entered, e.confidence) for e in weak] == [
        ("RU", "UA", "low"),
        ("UA", "RU", "low"),
    ]
    assert [e.confidence for e in labelled("RRURR", "hhhhh")] == ["medium", "medium"]
    # At the end of a track a single sighting is the newest evidence, not an excursion.
    assert [e.confidence for e in labelled("RRRU", "hhhh")] == ["high"]
    # Two in a row on the other side are two witnesses.
    assert [e.confidence for e in labelled("RRUURR", "hhhhhh")] == ["high", "high"]
