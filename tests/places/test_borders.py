"""Country, admin-1 and border distance against Natural Earth's own labels and hand-made cases.

The dev set's labels come from the same Natural Earth polygons, so every row must agree; the
distance band is computed from our own distance, and no wrong answer may be ``high``.
"""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest
import shapely

from geotrace.geodata import lines
from geotrace.places import borders
from tests.conftest import SHARED

DEV = SHARED / "geodata" / "border_points_dev.csv"


@pytest.fixture(scope="module")
def dev() -> dict[str, np.ndarray]:
    if not DEV.exists():
        pytest.skip(f"labelled border points not found at {DEV} (needs ../shared)")
    with DEV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def test_dev_set_every_row(dev: dict[str, np.ndarray]) -> None:
    lat, lon = dev["lat"].astype(float), dev["lon"].astype(float)
    hits = borders.countries(lat, lon)
    regions = borders.admin1(lat, lon)
    assert (hits.de_jure == dev["true_iso2"]).all()
    assert (regions.code == dev["admin1_iso3166_2"]).all()
    plain = np.char.str_len(dev["defacto_iso2"]) == 2
    assert (regions.country_de_facto[plain] == dev["defacto_iso2"][plain]).all()
    error = np.abs(hits.distance_to_border_km - dev["distance_to_border_km"].astype(float))
    assert error.max() <= 0.25, error.max()
    wrong = hits.de_jure != dev["true_iso2"]
    assert not (wrong & (hits.confidence == "high")).any()
    band = np.select(
        [hits.distance_to_border_km < 2, hits.distance_to_border_km < 5], ["low", "medium"], "high"
    )
    assert (hits.confidence == band).all()


CASES = [  # name, lat, lon, de jure, de facto, admin-1
    ("Sevastopol", 44.5888, 33.5224, "UA", "RU", "UA-40"),
    ("Simferopol", 44.9521, 34.1024, "UA", "RU", "UA-43"),
    ("Donetsk", 48.0159, 37.8028, "UA", "UA", "UA-14"),
    ("Kaliningrad", 54.7104, 20.4522, "RU", "RU", "RU-KGD"),
    ("Kyiv", 50.4501, 30.5234, "UA", "UA", "UA-30"),
]


@pytest.mark.parametrize(("name", "lat", "lon", "de_jure", "de_facto", "code"), CASES)
def test_hand_made_places(
    name: str, lat: float, lon: float, de_jure: str, de_facto: str, code: str
) -> None:
    hits, region = borders.countries(lat, lon), borders.admin1(lat, lon)
    assert hits.de_jure[0] == de_jure, name
    assert region.country_de_facto[0] == de_facto, name
    assert region.code[0] == code, name
    assert hits.confidence[0] in {"low", "medium", "high"}
    assert not hits.latlon_swapped_suspect[0]


def test_sea_of_azov_is_none_with_nearest_country() -> None:
    hits = borders.countries(46.0, 36.5)
    assert hits.de_jure[0] == "" and hits.confidence[0] == "none"
    assert hits.nearest_country[0] in {"UA", "RU"}
    assert 10 < hits.nearest_km[0] < 100
    assert borders.admin1(46.0, 36.5).code[0] == ""
    assert not hits.latlon_swapped_suspect[0]  # 60 km off a coast is plausible


def test_point_on_a_border_vertex_names_both_countries() -> None:
    data = borders._data()
    line = int(np.flatnonzero(data.border_pairs == "RU|UA")[0])
    dense = shapely.segmentize(data.borders.lines[line], lines.DENSE_DEG)  # as tier 0 has it
    lon, lat = shapely.get_coordinates(dense)[5]
    hits = borders.countries(lat, lon)
    assert {hits.de_jure[0], hits.also[0]} == {"RU", "UA"}
    assert hits.distance_to_border_km[0] < 0.001 and hits.confidence[0] == "low"


def test_swapped_and_odd_inputs() -> None:
    # Novosibirsk given (lon, lat): open Arctic Ocean as given, Russia when swapped;
    # Yakutsk given (lon, lat): latitude 129 is impossible, Russia when swapped.
    hits = borders.countries([82.93, 129.73, 50.4501, float("nan")], [55.03, 62.03, 390.5234, 0])
    assert hits.latlon_swapped_suspect.tolist() == [True, True, False, False]
    assert hits.invalid.tolist() == [False, True, False, True]
    assert hits.de_jure.tolist() == ["", "", "UA", ""]
    assert hits.lon_normalised.tolist() == [False, False, True, False]
    # Kyiv swapped, (30.52, 50.45), is a real place in Iran: plausible, so not flagged.
    kyiv = borders.countries(30.5234, 50.4501)
    assert kyiv.de_jure[0] == "IR" and not kyiv.latlon_swapped_suspect[0]


def test_radius_shares() -> None:
    inland, border, coast, sea, exact = borders.radius_shares(
        [50.45, 49.9, 44.6, 46.0, 50.45],
        [30.52, 38.1, 33.5, 36.5, 30.52],
        [5000, 20000, 10000, 30000, 0],
    )
    assert inland == pytest.approx({"UA": 1.0})
    assert set(border) == {"RU", "UA"} and sum(border.values()) == pytest.approx(1.0)
    assert 0.1 < border["RU"] < 0.9
    assert set(coast) == {"UA", ""} and sum(coast.values()) == pytest.approx(1.0)
    assert sea == pytest.approx({"": 1.0})
    assert exact == {"UA": 1.0}


def test_speed_one_million_land_points() -> None:
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(-55, 70, 2_500_000), rng.uniform(-180, 180, 2_500_000)
    land = borders._data().admin0.grid[borders._data().admin0.cells(lat, lon)] != -1
    lat, lon = np.resize(lat[land], 1_000_000), np.resize(lon[land], 1_000_000)
    start = time.perf_counter()
    hits = borders.countries(lat, lon)
    rate = len(lat) / (time.perf_counter() - start)
    print(f"\ncountries(): {rate:,.0f} points/s on {len(lat):,} land-ish points")
    assert (hits.de_jure != "").mean() > 0.9
    assert rate > 20_000


def test_land_east_of_172e_is_in_the_grid() -> None:
    """Regression: a 16-degree cutting level stopped the grid at 172 E (Chukotka, NZ, Fiji)."""
    hits = borders.countries([66.588, -39.199, -17.8, 52.93], [178.97, 175.976, 178.0, 172.9])
    assert hits.de_jure.tolist() == ["RU", "NZ", "FJ", "US"]
    assert borders.admin1([66.588, -39.199], [178.97, 175.976]).code.tolist() == [
        "RU-CHU",
        "NZ-MWT",
    ]


def test_the_fast_answer_is_the_full_answer(dev: dict[str, np.ndarray]) -> None:
    """``resolve``'s default path (bounded border query) agrees with the full distance."""
    from geotrace.places import resolve

    full = borders.countries(dev["lat"], dev["lon"])
    fast = resolve(dev["lat"], dev["lon"])
    assert fast.country_de_jure.tolist() == full.de_jure.tolist()
    assert fast.border_confidence.tolist() == full.confidence.tolist()
    assert fast.also_country.tolist() == full.also.tolist()
    rows = list(fast.rows())
    assert [r["distance_to_border_km"] for r in rows] == full.distance_to_border_km.tolist()
