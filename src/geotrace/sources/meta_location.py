"""Instagram's ``account_based_in.json``: the city Meta infers the account is based in.

``{"inferred_data_primary_location": [{"title": "", "media_map_data": {}, "string_map_data":
{"City Name": {"href": "", "value": "Kyiv", "timestamp": 0}}}]}`` (in
``personal_information/information_about_you/``, older exports ``information_about_you/``;
newer ones call it ``profile_based_in.json``; English variants of the key include "Town/city
name").  It is Meta's inference from the account's activity, not a position anyone stated:
each entry becomes a post of kind ``inferred_location`` by the export's owner, carrying one
geotag of kind ``inferred_city`` labelled "inferred by Instagram: <City>", which the ingest
turns into a city-level sighting of the owner (method ``platform_geotag``).

How the city is placed.  The file names a city and no point; the gazetteer that knows
where cities are belongs to the resolve stage (``places.gazetteer``), which this read stage
must not import.  The ingest hands the look-up in as ``ExportFile.place``, as it hands in
``sibling`` and as ``api.ingest`` hands a user's table its ``WallClock`` zone look-up.  The
other way, a geotag with a name and no coordinates placed later by the resolve stage, would
need sightings without coordinates in the store and in every stage that reads them, for
one file per export.  A name the gazetteer does not hold ("Киев": cities500 has "Kyiv" and
"Київ") keeps its post, with no geotag, and a ``geotag_unresolved`` problem naming the
account and the city; a "City, Country" value whose whole is no name is tried as a city in
that country.

The radius: a city of P people, at 1,000 people per km² (a city's core with the towns
around it that an inference from activity cannot tell from it), covers a circle of
sqrt(P / (1,000 pi)) km: Kyiv (2.95 M) 31 km, about its own bounding box's half-diagonal.
At least 15 km (a small town's inference is no sharper than its district) and at most
50 km (Moscow's 10 M would give 57 km; past that the circle is a region, not a city).

The time: the file states none.  ``timestamp`` is 0 in every export seen; a plausible one
is taken as the instant Meta recorded the inference (basis ``platform_utc``), otherwise
the sighting has no time (``at_utc`` empty): the export's own date is not in its files,
only in the name Meta gives its zip, which the user may have changed.

The owner: ``personal_information/personal_information.json`` beside it names the account
(``profile_user[0].string_map_data.Username``).  Instagram's export holds no stable account
id, so the username is the account id (a renamed account is a new account, as for handles
read from text).  Without that file the export's folder or zip name, which Meta writes as
``instagram-<username>-<YYYY-MM-DD>-<code>``, names it; without either the post has no
author and an ``owner_unknown`` note says so: the sighting is kept, unattributed.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from typing import Any

from geotrace.records import NOTE, Account, Geotag, Post
from geotrace.sources.base import ExportFile, ExportReader, PlaceLookup, Record, Refusal, Settlement
from geotrace.sources.common import unix_instant
from geotrace.sources.jsonstream import json_items
from geotrace.sources.meta import fix_text

PLATFORM = "instagram"
KIND = "inferred_location"
#: The geotag kind: an area inferred by the platform, the weakest claim there is.
GEOTAG_KIND = "inferred_city"
LIST_KEY = "inferred_data_primary_location"

#: People per km² of the area a "based in <city>" inference covers (module docstring).
DENSITY_PER_KM2 = 1_000.0
MIN_RADIUS_M = 15_000.0
MAX_RADIUS_M = 50_000.0
#: Longest value taken for a city's name: the longest name in cities500 has 79
#: characters; a longer value is not a name and is not looked up.
MAX_NAME_CHARS = 200

_SNIFF = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"' + LIST_KEY.encode() + rb'"\s*:')
_PROFILE_SNIFF = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"profile_user"\s*:')
#: ``string_map_data`` keys that hold the city ("City Name", "Town/city name", "City").
_CITY_KEY = re.compile(r"\b(?:city|town)\b", re.IGNORECASE)
_COUNTRY_KEY = re.compile(r"\bcountry\b", re.IGNORECASE)
#: Where ``personal_information.json`` sits, relative to this document's folder.
OWNER_FILES = (
    "../personal_information/personal_information.json",
    "../account_information/personal_information.json",
    "personal_information.json",
)
#: Meta's name for the export's zip (and the folder it unpacks to).
_EXPORT_NAME = re.compile(
    r"instagram-([A-Za-z0-9._]{1,30})-\d{4}-\d{2}-\d{2}-[A-Za-z0-9]+(?:\.zip)?", re.IGNORECASE
)


def sniff(name: str, head: bytes) -> bool:
    return name.lower().endswith(".json") and _SNIFF.match(head) is not None


def city_radius_m(population: int) -> float:
    """The radius of a city-level inference for a city of ``population`` (docstring)."""
    km = math.sqrt(max(population, 0) / (DENSITY_PER_KM2 * math.pi))
    return min(max(km * 1000.0, MIN_RADIUS_M), MAX_RADIUS_M)


def _entry(fields: dict[str, Any], pattern: re.Pattern[str]) -> tuple[str, Any] | None:
    """The first ``string_map_data`` entry whose key matches, as (key, entry)."""
    for key, entry in fields.items():
        if pattern.search(fix_text(key)):
            return key, entry
    return None


def _value(entry: Any) -> str | None:
    value = entry.get("value") if isinstance(entry, dict) else None
    return " ".join(fix_text(value).split()) if isinstance(value, str) else None


def _placed(city: str, country: str | None, place: PlaceLookup) -> Settlement | None:
    """The settlement for the city; "City, Country" is also tried as a city in that
    country when the whole is no name."""
    found = place(city, country)
    head, sep, tail = city.rpartition(",")
    if found is None and sep and head.strip() and tail.strip() and country is None:
        found = place(head.strip(), tail.strip())
    return found


def _location(
    item: Any, owner: Account | None, place: PlaceLookup | None, location: str, where: str
) -> list[Record]:
    """One inferred location as a post of the owner, its geotag, and what was not read."""
    fields = item.get("string_map_data") if isinstance(item, dict) else None
    if not isinstance(fields, dict):
        return [Refusal(where, "item_invalid", "no string_map_data object")]
    keyed = _entry(fields, _CITY_KEY)
    if keyed is None:
        keys = ", ".join(repr(k)[:40] for k in list(fields)[:5]) or "none"
        return [Refusal(where, "item_invalid", f"no city in string_map_data (keys: {keys})")]
    key, entry = keyed
    field = f"string_map_data.{fix_text(key)[:40]}"
    city = _value(entry)
    if not city:
        return [Refusal(where, "item_invalid", f"{field} has no text value")]
    country_entry = _entry(fields, _COUNTRY_KEY)
    country = _value(country_entry[1]) if country_entry is not None else None
    account = f"account {owner.account_id}" if owner is not None else "an account not named"
    notes: list[Record] = []
    geotags: tuple[Geotag, ...] = ()
    if len(city) > MAX_NAME_CHARS:
        why = f"{account}: a city name of {len(city):,} characters is not a name"
        notes.append(Refusal(where, "geotag_unresolved", why, NOTE))
    elif place is None:
        why = f"{account}: city {city!r} not placed (no gazetteer given to the reader)"
        notes.append(Refusal(where, "geotag_unresolved", why, NOTE))
    else:
        found = _placed(city, country, place)
        if found is None:
            within = f" in {country!r}" if country else ""
            why = f"{account}: city {city!r}{within} is not in the gazetteer"
            notes.append(Refusal(where, "geotag_unresolved", why, NOTE))
        else:
            radius = city_radius_m(found.population)
            label = f"inferred by Instagram: {city}"
            geotags = (Geotag(found.lat, found.lon, radius, GEOTAG_KIND, field, label),)
    stamp = entry.get("timestamp") if isinstance(entry, dict) else None
    digest = hashlib.sha1(f"{account}\x1f{city}\x1f{country or ''}".encode()).hexdigest()
    post = Post(
        platform=PLATFORM,
        post_id=f"{KIND}-{digest[:20]}",
        kind=KIND,
        author=owner,
        posted_at=unix_instant(stamp, f"{field}.timestamp"),
        text="",
        raw=item,
        location=location,
        geotags=geotags,
    )
    return [post, *notes]


def _profile_account(profile: ExportFile) -> Account | None:
    """The account a ``personal_information.json`` names (its first ``profile_user``)."""
    with profile.open() as stream:
        for item in json_items(stream, "profile_user.item", profile.name):
            fields = item.get("string_map_data") if isinstance(item, dict) else None
            if not isinstance(fields, dict):
                continue
            handle = _value(fields.get("Username"))
            if handle and len(handle) <= MAX_NAME_CHARS:
                name = _value(fields.get("Name"))
                return Account(PLATFORM, handle, handle, name or None)
    return None


def _profile_owner(doc: ExportFile) -> Account | None:
    """The account the ``personal_information.json`` beside ``doc`` names."""
    for rel in OWNER_FILES:
        sibling = doc.sibling(rel)
        found = None if sibling is None else _profile_account(sibling)
        if found is not None:
            return found
    return None


def owner(doc: ExportFile) -> Account | None:
    """The export's owner: from its profile file, else from Meta's name for the export."""
    found = _profile_owner(doc)
    if found is not None:
        return found
    named = [m.group(1) for m in map(_EXPORT_NAME.fullmatch, re.split(r"[/\\!]+", doc.name)) if m]
    return Account(PLATFORM, named[-1], named[-1]) if named else None


def read(doc: ExportFile) -> Iterator[Record]:
    account = owner(doc)
    if account is None:
        why = "no personal_information.json beside it and no instagram-<user>-<date> folder"
        yield Refusal(doc.name, "owner_unknown", f"the account is not named: {why}", NOTE)
    count = 0
    with doc.open() as stream:
        for index, item in enumerate(json_items(stream, f"{LIST_KEY}.item", doc.name)):
            count += 1
            if isinstance(item, Refusal):
                yield item
                continue
            location = f"{LIST_KEY}[{index}]"
            yield from _location(item, account, doc.place, location, f"{doc.name}#{location}")
    if count == 0:
        why = f"{LIST_KEY} holds no location (empty, or not a list)"
        yield Refusal(doc.name, "item_invalid", why)


def sniff_profile(name: str, head: bytes) -> bool:
    return name.lower().endswith(".json") and _PROFILE_SNIFF.match(head) is not None


def read_profile(doc: ExportFile) -> Iterator[Record]:
    """``personal_information.json`` read alone: the owner's account, handle and name.

    It is the file that names whose export this is (see :func:`owner`); given in a
    folder with the rest it was read for that and still reported as a document no reader
    claims, so every complete Instagram export ended with exit code 1."""
    account = _profile_account(doc)
    if account is None:
        yield Refusal(doc.name, "item_invalid", "profile_user names no Username")
    else:
        yield account


ACCOUNT_BASED_IN = ExportReader("instagram_account_based_in", "1", (".json",), sniff, read)
PROFILE = ExportReader(
    "instagram_personal_information", "1", (".json",), sniff_profile, read_profile
)

READERS: tuple[ExportReader, ...] = (ACCOUNT_BASED_IN, PROFILE)
