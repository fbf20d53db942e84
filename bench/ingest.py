"""geotrace ingest of large exports against a plain ``json.load`` of the same file.

The issue's target: **``geotrace ingest`` at >= 20,000 messages/s end to end into the case,
with a peak RSS under 300 MB whatever the file size** (``json.load``'s grows with the
file).  One run generates the inputs, then times, each in a process of its own:

    geotrace ingest FILE --case CASE          # the installed console script
    python -c "json.load(open(FILE))"         # Telegram: the whole document at once
    python -c "for line in f: json.loads(line)"   # twarc2 JSONL: page by page

and counts ``SELECT count(*) FROM posts`` in each case afterwards (0, said so, while the
case has no ``posts`` table).

Inputs (deterministic for a given ``--seed``, written as a stream: no generator holds the
document in memory):

- **Telegram Desktop ``result.json``**, single-chat root (``--telegram-root account`` for
  the whole-account root, the messages spread over three chats), the 2023-01+ structure of
  ``../shared/corpora/exports/telegram_desktop_json/``: ``date`` (exporter-local wall
  clock, here Europe/Kyiv, so it steps back at the autumn DST change) with
  ``date_unixtime`` as a string, ``edited``/``edited_unixtime``, ``from``/``from_id``
  ``"user…"`` (a few ``from: null``), ``text`` as ``""``, a string, or a list of strings
  and entity objects, always with ``text_entities``; photo and video placeholders
  ("(File not included. …)") with their sizes, forwards (``forwarded_from[_id]``),
  replies, service messages (``actor``, ``actor_id``, ``action``), Cyrillic text, and 1 %
  of messages with ``location_information`` (6 decimals, points around cities of Ukraine
  and Russia; some live locations and venues).  Written with tdesktop's one-space
  indentation, so bytes per message (about 500) are those of a real export.  It is
  generated at ``--messages`` and at a quarter of that, for the RSS-against-size point.
- **twarc2 JSONL** of ``--twarc-gb`` GB: the two 100-tweet pages of
  ``twarc-csv_2sets.jsonl``, alternately, each copy parsed once and rewritten: every tweet
  and media id moved by the same time shift as its ``created_at`` (snowflake ids carry
  their millisecond, so ids stay unique and consistent with the dates), ``meta`` and
  ``__twarc.retrieved_at`` moved alike, and per page one more tweet given a
  ``geo.place_id`` (place added to ``includes.places``) and one page in four a tweet with
  ``geo.coordinates`` (``[lon, lat]``) too.  Users stay the same accounts throughout.

Measures: wall time from start to exit (interpreter start-up included); peak RSS is the
larger of the child's own maximum (``wait4``, the figure ``/usr/bin/time -v`` prints) and
the sum of VmRSS over its process tree sampled every 50 ms (which counts forked workers;
shared pages count once per process, so it errs high).  MB are 10^6 bytes.

Verdict: every geotrace run ends (exit 0, or 1 = some items skipped, which is reported)
with at least as many posts in the case as messages generated; the ``--messages`` Telegram
export at >= 20,000 messages/s (Telegram messages including service ones: the issue's
"1,000,000-message Telegram export"); peak RSS under 300 MB on every run, the 1 GB twarc2
file included, and flat: at ``--messages`` at most 1.25x that at a quarter of it.  The
twarc2 file's speed is printed in tweets/s and, beside Telegram's, in MB/s read: its tweets
(``data``, not the ``includes``) are seven times a Telegram message's bytes.
The CPU seconds of each geotrace run are printed beside its wall time (a wall time far
above the CPU time is time spent waiting, on fsync for instance).

Exit status: 0 target met, 1 missed, 2 not measurable (no posts in the case: the readers
or the ingest of exports not there yet).

Run:  python bench/ingest.py [--messages 1000000] [--twarc-gb 1.0] [--keep] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TextIO

from scoring import dist_version, markdown_table, work_folder

EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "exports"
TWARC_SAMPLE = EXPORTS / "twitter_api_v2_twarc2" / "twarc-csv_2sets.jsonl"

TARGET_MSGS_PER_S = 20_000
TARGET_RSS_MB = 300.0
#: "Flat": peak RSS at --messages at most this many times that at a quarter of it.
FLAT_RSS_FACTOR = 1.25
SAMPLE_EVERY_S = 0.05
MB = 1_000_000

# --- Telegram Desktop result.json ---------------------------------------------------------

NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
#: The first message's instant (2022-02-24 04:00 UTC) and the exporter's zone.
TG_START = 1_645_675_200
TG_ZONE = "Europe/Kyiv"
#: Points of interest: (name, latitude, longitude, country, Twitter-style bbox half-size).
CITIES = (
    ("Київ", 50.450100, 30.523400, "UA", 0.20),
    ("Харків", 49.993500, 36.230400, "UA", 0.15),
    ("Одеса", 46.482500, 30.723300, "UA", 0.15),
    ("Дніпро", 48.464700, 35.046200, "UA", 0.15),
    ("Запоріжжя", 47.838800, 35.139600, "UA", 0.12),
    ("Миколаїв", 46.975000, 31.994600, "UA", 0.10),
    ("Херсон", 46.635400, 32.616900, "UA", 0.08),
    ("Маріуполь", 47.097100, 37.543400, "UA", 0.10),
    ("Бахмут", 48.595600, 38.000300, "UA", 0.05),
    ("Ізюм", 49.212800, 37.256400, "UA", 0.05),
    ("Львів", 49.839700, 24.029700, "UA", 0.12),
    ("Донецьк", 48.015900, 37.802800, "UA", 0.15),
    ("Белгород", 50.595500, 36.587300, "RU", 0.10),
    ("Курск", 51.730800, 36.193900, "RU", 0.10),
    ("Ростов-на-Дону", 47.235700, 39.701500, "RU", 0.15),
    ("Москва", 55.755800, 37.617300, "RU", 0.35),
    ("Санкт-Петербург", 59.931100, 30.360900, "RU", 0.30),
    ("Брянск", 53.243600, 34.363400, "RU", 0.10),
)
TWITTER_NAMES = {
    "Київ": ("Kyiv", "Ukraine"),
    "Харків": ("Kharkiv", "Ukraine"),
    "Одеса": ("Odesa", "Ukraine"),
    "Дніпро": ("Dnipro", "Ukraine"),
    "Запоріжжя": ("Zaporizhzhia", "Ukraine"),
    "Миколаїв": ("Mykolaiv", "Ukraine"),
    "Херсон": ("Kherson", "Ukraine"),
    "Маріуполь": ("Mariupol", "Ukraine"),
    "Бахмут": ("Bakhmut", "Ukraine"),
    "Ізюм": ("Izium", "Ukraine"),
    "Львів": ("Lviv", "Ukraine"),
    "Донецьк": ("Donetsk", "Ukraine"),
    "Белгород": ("Belgorod", "Russia"),
    "Курск": ("Kursk", "Russia"),
    "Ростов-на-Дону": ("Rostov-on-Don", "Russia"),
    "Москва": ("Moscow", "Russia"),
    "Санкт-Петербург": ("Saint Petersburg", "Russia"),
    "Брянск": ("Bryansk", "Russia"),
}


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = words(
    "Олександр Андрій Дмитро Сергій Іван Максим Богдан Тарас Олена Ірина Наталія Оксана "
    "Юлія Марія Анна Світлана Алексей Дмитрий Сергей Наталья Екатерина Татьяна Владимир "
    "Михаил Николай Ольга Людмила Вікторія Євген Павло Роман Степан"
)
LAST_NAMES = words(
    "Шевченко Коваленко Бондаренко Ткаченко Кравченко Олійник Мельник Поліщук Бойко "
    "Лисенко Іваненко Мороз Петренко Савченко Руденко Иванов Смирнов Кузнецов Попов "
    "Васильев Соколов Михайлов Новиков Федоров Морозов Волков"
)
NICKNAMES = words("kharkiv_watch dnipro_news osint_ua mapper77 geo_ninja rybar_fan sky_eye")
WORDS = words(
    "сьогодні вранці біля центру міста чути вибухи колона техніки рухається у напрямку "
    "траси фото з місця подій повітряна тривога відбій укриття будинок пошкоджено вулиця "
    "район площа вокзал міст ринок школа лікарня завод сирени світло вода зв'язок "
    "просимо не публікувати координати позиції дякуємо сегодня утром около центра города "
    "слышны взрывы колонна техники движется в сторону трассы видео с места событий "
    "воздушная тревога отбой дом поврежден улица район площадь вокзал мост рынок школа "
    "больница завод сирены свет вода связь подтверждено очевидцы передают что"
)
HASHTAGS = words("#Харків #Київ #Одеса #новини #війна #Бахмут #Белгород #ЗСУ #сводка #OSINT")
CHANNELS = (
    "Харків Online",
    "Новини Дніпра",
    "Труха⚡️Україна",
    "Одеса Today",
    "Белгород №1",
    "Readovka",
    "Рыбарь",
    "Mash",
    "UA Online",
    "Украинский фронт",
)
ACTIONS = (
    "pin_message",
    "invite_members",
    "join_group_by_link",
    "remove_members",
    "edit_group_title",
    "join_group_by_request",
)

_encode = json.encoder.encode_basestring  # type: ignore[attr-defined]  # C, ensure_ascii off


def tdesktop_json(value: Any, pad: str) -> str:
    """``value`` as tdesktop writes it: one space per level, ``"key": value``, ``[]`` empty,
    non-ASCII as UTF-8; ``pad`` is the indentation of the line the value starts on."""
    if isinstance(value, str):
        return _encode(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return repr(value)
    inner = pad + " "
    if isinstance(value, dict):
        items = ",\n".join(
            f"{inner}{_encode(k)}: {tdesktop_json(v, inner)}" for k, v in value.items()
        )
        return "{\n" + items + "\n" + pad + "}"
    if not value:
        return "[]"
    items = ",\n".join(inner + tdesktop_json(v, inner) for v in value)
    return "[\n" + items + "\n" + pad + "]"


def _zone() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(TG_ZONE)
    except Exception:  # no tz database: a fixed UTC+03:00 still gives a local wall clock
        from datetime import timezone

        return timezone(timedelta(hours=3))


@dataclass(slots=True)
class TelegramStats:
    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


class TelegramMessages:
    """The messages of one synthetic supergroup, in order, as dicts in tdesktop's key order."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.zone = _zone()
        self.users = [
            (
                rng.choice(NICKNAMES) + str(rng.randint(1, 999))
                if rng.random() < 0.1
                else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                f"user{rng.randint(100_000_000, 7_999_999_999)}",
            )
            for _ in range(3000)
        ]
        self.channels = [
            (name, f"channel{rng.randint(1_000_000_000, 2_099_999_999)}") for name in CHANNELS
        ]
        self.next_id = 1
        self.now = TG_START
        self.stats = TelegramStats()

    def local(self, unix: int) -> str:
        return datetime.fromtimestamp(unix, self.zone).replace(tzinfo=None).isoformat()

    def sentence(self, lo: int, hi: int) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(lo, hi))
        words[0] = words[0].capitalize()
        return " ".join(words) + self.rng.choice((".", ".", "!", "", " 👇", "…"))

    def text(self) -> tuple[str | list[Any], list[dict[str, Any]]]:
        """``text`` and ``text_entities``: one plain part collapses to a string."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return "", []
        if roll < 0.85:
            plain = self.sentence(3, 15)
            return plain, [{"type": "plain", "text": plain}]
        parts: list[Any] = [self.sentence(3, 12) + " "]
        entity: dict[str, Any]
        kind = rng.random()
        if kind < 0.3:
            entity = {"type": "hashtag", "text": rng.choice(HASHTAGS)}
        elif kind < 0.5:
            entity = {"type": "bold", "text": self.sentence(2, 4)}
        elif kind < 0.7:
            entity = {
                "type": "link",
                "text": f"https://t.me/c/{rng.randint(10**9, 2 * 10**9)}/{rng.randint(1, 99999)}",
            }
        elif kind < 0.85:
            entity = {
                "type": "text_link",
                "text": "джерело",
                "href": f"https://t.me/s/news_{rng.randint(1, 500)}",
            }
        else:
            name, uid = rng.choice(self.users)
            entity = {"type": "mention_name", "text": name, "user_id": int(uid[4:])}
        parts.append(entity)
        if rng.random() < 0.6:
            parts.append(" " + self.sentence(2, 8))
        entities = [p if isinstance(p, dict) else {"type": "plain", "text": p} for p in parts]
        return parts, entities

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        rng = self.rng
        stats = self.stats
        msg_id = self.next_id
        self.next_id += 1 + (rng.randint(1, 20) if rng.random() < 0.05 else 0)
        self.now += rng.randint(1, 60)
        msg: dict[str, Any] = {"id": msg_id}
        stats.messages += 1
        if rng.random() < 0.03:
            stats.kinds["service"] += 1
            name, uid = rng.choice(self.users)
            action = rng.choice(ACTIONS)
            msg.update(type="service", date=self.local(self.now), date_unixtime=str(self.now))
            msg.update(actor=name, actor_id=uid, action=action)
            if action == "pin_message":
                msg["message_id"] = max(1, msg_id - rng.randint(1, 500))
            elif action in ("invite_members", "remove_members"):
                msg["members"] = [rng.choice(self.users)[0] for _ in range(rng.randint(1, 3))]
            elif action == "join_group_by_link":
                msg["inviter"] = "Group"
            elif action == "edit_group_title":
                msg["title"] = f"{rng.choice(CITIES)[0]}: новини 24/7"
            msg.update(text="", text_entities=[])
            return msg
        msg.update(type="message", date=self.local(self.now), date_unixtime=str(self.now))
        if rng.random() < 0.05:
            edited = self.now + rng.randint(5, 3600)
            msg.update(edited=self.local(edited), edited_unixtime=str(edited))
        if rng.random() < 0.003:
            msg.update({"from": None, "from_id": f"user{rng.randint(10**8, 7 * 10**9)}"})
            stats.kinds["from null"] += 1
        else:
            name, uid = rng.choice(self.users)
            msg.update({"from": name, "from_id": uid})
        if rng.random() < 0.08:
            name, cid = rng.choice(self.channels)
            msg.update(forwarded_from=name, forwarded_from_id=cid)
            stats.kinds["forwarded"] += 1
        if rng.random() < 0.15 and msg_id > 10:
            msg["reply_to_message_id"] = msg_id - rng.randint(1, min(msg_id - 1, 200))
            stats.kinds["reply"] += 1
        media = rng.random()
        if media < 0.15:
            width, height = rng.choice(
                ((1280, 960), (960, 1280), (1280, 720), (720, 1280), (1280, 1280))
            )
            msg.update(photo=NOT_INCLUDED, photo_file_size=rng.randint(40_000, 400_000))
            msg.update(width=width, height=height)
            stats.kinds["photo"] += 1
        elif media < 0.18:
            msg.update(file=NOT_INCLUDED, file_size=rng.randint(500_000, 50_000_000))
            msg.update(thumbnail=NOT_INCLUDED, media_type="video_file", mime_type="video/mp4")
            msg.update(duration_seconds=rng.randint(3, 180), width=1280, height=720)
            stats.kinds["video"] += 1
        elif media < 0.19:
            city, lat, lon, _, half = rng.choice(CITIES)
            point = {
                "latitude": round(lat + rng.uniform(-half, half), 6),
                "longitude": round(lon + rng.uniform(-half, half), 6),
            }
            kind = rng.random()
            if kind < 0.1:
                msg.update(
                    place_name=f"{city}, {rng.choice(WORDS)}",
                    address=f"вул. {rng.choice(LAST_NAMES)}, {rng.randint(1, 120)}",
                )
                stats.kinds["venue"] += 1
            msg["location_information"] = point
            if 0.1 <= kind < 0.3:
                msg["live_location_period_seconds"] = rng.choice((900, 3600, 28800))
                stats.kinds["live location"] += 1
            stats.kinds["location"] += 1
            msg.update(text="", text_entities=[])
            return msg
        text, entities = self.text()
        if isinstance(text, list):
            stats.kinds["text as list"] += 1
        msg.update(text=text, text_entities=entities)
        return msg


TG_ABOUT = (
    "Here is the data you requested. Remember: Telegram is ad free, it doesn't use your data "
    "for ad targeting and doesn't sell it to others. Telegram only keeps the information it "
    "needs to function as a secure and feature-rich cloud service.\n\nCheck out Settings > "
    "Privacy & Security on Telegram's mobile apps for the relevant settings."
)
TG_CHATS_IN_ACCOUNT = 3
FLUSH_EVERY = 2000


def _write_messages(out: TextIO, messages: TelegramMessages, count: int, pad: str) -> None:
    """``"messages": [ ... ]`` at indentation ``pad``, written ``FLUSH_EVERY`` at a time."""
    inner = pad + " "
    out.write(f'{pad}"messages": [')
    chunk: list[str] = []
    for i in range(count):
        chunk.append(("\n" if i == 0 else ",\n") + inner + tdesktop_json(next(messages), inner))
        if len(chunk) >= FLUSH_EVERY:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))
    out.write(f"\n{pad}]" if count else "]")


def write_telegram(path: Path, count: int, seed: int, root: str = "chat") -> TelegramStats:
    """A Telegram Desktop ``result.json`` of ``count`` messages, single-chat or account root."""
    rng = random.Random(seed)
    messages = TelegramMessages(rng)
    group_id = rng.randint(1_000_000_000, 2_099_999_999)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        if root == "chat":
            out.write('{\n "name": "Харків: новини 24/7",\n "type": "public_supergroup",\n')
            out.write(f' "id": {group_id},\n')
            _write_messages(out, messages, count, " ")
            out.write("\n}\n")
            return messages.stats
        me = rng.randint(10**8, 2 * 10**9)
        header = {
            "about": TG_ABOUT,
            "personal_information": {
                "user_id": me,
                "first_name": "Олена",
                "last_name": "Коваленко",
                "phone_number": "+380 67 1234567",
                "username": "@olena_k",
                "bio": "",
            },
        }
        out.write("{\n")
        for key, value in header.items():
            out.write(f" {_encode(key)}: {tdesktop_json(value, ' ')},\n")
        out.write(' "chats": {\n  "about": "This page lists all chats from this export.",\n')
        out.write('  "list": [\n')
        per_chat = [count // TG_CHATS_IN_ACCOUNT] * TG_CHATS_IN_ACCOUNT
        per_chat[0] += count - sum(per_chat)
        for i, n in enumerate(per_chat):
            name, kind = (
                ("Харків: новини 24/7", "public_supergroup"),
                ("Робоча група", "private_group"),
                ("Волонтери Харків", "private_supergroup"),
            )[i % 3]
            out.write(f'   {{\n    "name": {_encode(name)},\n    "type": "{kind}",\n')
            out.write(f'    "id": {group_id + i},\n')
            _write_messages(out, messages, n, "    ")
            out.write("\n   }" + (",\n" if i + 1 < len(per_chat) else "\n"))
        out.write("  ]\n }\n}\n")
    return messages.stats


# --- twarc2 JSONL -------------------------------------------------------------------------

#: Each page copy is moved this much later than the one before (the template pages span
#: about 5 minutes of tweets), and the whole file starts this far after the sample.
TWARC_PAGE_STEP_MS = 10 * 60 * 1000
TWARC_BASE_SHIFT_MS = 155 * 86_400 * 1000


@dataclass(slots=True)
class TwarcStats:
    pages: int = 0
    tweets: int = 0
    included_tweets: int = 0
    place_tagged: int = 0
    with_coordinates: int = 0


def _shift_id(value: str, shift: int) -> str:
    return str(int(value) + shift)


def _shift_time(value: str, delta: timedelta, ms: bool) -> str:
    moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
    if ms:
        return moved.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moved.microsecond // 1000:03d}Z"
    return moved.isoformat()


def _shift_tweet(tweet: dict[str, Any], shift: int, delta: timedelta) -> None:
    tweet["id"] = _shift_id(tweet["id"], shift)
    if "conversation_id" in tweet:
        tweet["conversation_id"] = _shift_id(tweet["conversation_id"], shift)
    if "created_at" in tweet:
        tweet["created_at"] = _shift_time(tweet["created_at"], delta, ms=True)
    for ref in tweet.get("referenced_tweets", ()):
        ref["id"] = _shift_id(ref["id"], shift)
    if "edit_history_tweet_ids" in tweet:
        tweet["edit_history_tweet_ids"] = [
            _shift_id(t, shift) for t in tweet["edit_history_tweet_ids"]
        ]
    attachments = tweet.get("attachments", {})
    if "media_keys" in attachments:
        attachments["media_keys"] = [_shift_media_key(k, shift) for k in attachments["media_keys"]]


def _shift_media_key(key: str, shift: int) -> str:
    prefix, _, number = key.partition("_")
    return f"{prefix}_{int(number) + shift}"


def _twitter_places(rng: random.Random) -> list[dict[str, Any]]:
    places = []
    for city, lat, lon, code, half in CITIES:
        name, country = TWITTER_NAMES[city]
        bbox = [
            round(lon - half, 7),
            round(lat - half * 0.7, 7),
            round(lon + half, 7),
            round(lat + half * 0.7, 7),
        ]
        places.append(
            {
                "full_name": f"{name}, {country}",
                "place_type": "city",
                "name": name,
                "country_code": code,
                "id": f"{rng.getrandbits(64):016x}",
                "geo": {"type": "Feature", "bbox": bbox, "properties": {}},
                "country": country,
            }
        )
    return places


def write_twarc(
    path: Path, target_bytes: int, seed: int, sample: Path = TWARC_SAMPLE
) -> TwarcStats:
    """twarc2 pages from ``sample``'s multi-tweet pages, rewritten until ``target_bytes``."""
    rng = random.Random(seed)
    with sample.open(encoding="utf-8") as f:
        templates = [line for line in f if isinstance(json.loads(line).get("data"), list)]
    places = _twitter_places(rng)
    stats = TwarcStats()
    written = 0
    with path.open("w", encoding="ascii", newline="\n") as out:
        while written < target_bytes:
            page = json.loads(templates[stats.pages % len(templates)])
            delta_ms = TWARC_BASE_SHIFT_MS + stats.pages * TWARC_PAGE_STEP_MS
            shift, delta = delta_ms << 22, timedelta(milliseconds=delta_ms)
            includes = page.setdefault("includes", {})
            for tweet in page["data"]:
                _shift_tweet(tweet, shift, delta)
            for tweet in includes.get("tweets", ()):
                _shift_tweet(tweet, shift, delta)
            for media in includes.get("media", ()):
                media["media_key"] = _shift_media_key(media["media_key"], shift)
            meta = page.get("meta", {})
            for key in ("newest_id", "oldest_id"):
                if key in meta:
                    meta[key] = _shift_id(meta[key], shift)
            if "next_token" in meta:
                meta["next_token"] = f"{rng.getrandbits(230):046x}"[:45]
            twarc = page.get("__twarc", {})
            if "retrieved_at" in twarc:
                twarc["retrieved_at"] = _shift_time(twarc["retrieved_at"], delta, ms=False)
            untagged = [t for t in page["data"] if "geo" not in t]
            stats.place_tagged += len(page["data"]) - len(untagged)
            tagged = rng.sample(untagged, 2 if stats.pages % 4 == 0 else 1)
            for i, tweet in enumerate(tagged):
                place = rng.choice(places)
                if i == 1:
                    w, s, e, n = place["geo"]["bbox"]
                    point = [round(rng.uniform(w, e), 8), round(rng.uniform(s, n), 8)]
                    tweet["geo"] = {
                        "coordinates": {"type": "Point", "coordinates": point},
                        "place_id": place["id"],
                    }
                    stats.with_coordinates += 1
                else:
                    tweet["geo"] = {"place_id": place["id"]}
                stats.place_tagged += 1
                known = includes.setdefault("places", [])
                if all(p["id"] != place["id"] for p in known):
                    known.append(place)
            line = json.dumps(page) + "\n"
            out.write(line)
            written += len(line)
            stats.pages += 1
            stats.tweets += len(page["data"])
            stats.included_tweets += len(includes.get("tweets", ()))
    return stats


# --- measuring ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """One process run: wall time, peak RSS (MB), exit status, the tail of its output."""

    seconds: float
    own_peak_mb: float  # wait4: the child's own maximum (its reaped children's too)
    tree_peak_mb: float  # sampled sum of VmRSS over the child and its descendants
    cpu_s: float  # user + system, the child's and its reaped children's
    returncode: int
    stdout: str
    stderr: str

    @property
    def peak_mb(self) -> float:
        return max(self.own_peak_mb, self.tree_peak_mb)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return pids


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(command: list[str], scratch: Path) -> Measure:
    """Run ``command`` to completion in its own process; stdout/stderr go to files."""
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    tree_peak_kb = 0
    done = threading.Event()

    def sample(pid: int) -> None:
        nonlocal tree_peak_kb
        while not done.wait(SAMPLE_EVERY_S):
            tree_peak_kb = max(tree_peak_kb, sum(_rss_kb(p) for p in _tree(pid)))

    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        sampler = threading.Thread(target=sample, args=(process.pid,), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measure(
        seconds=elapsed,
        own_peak_mb=usage.ru_maxrss * 1024 / MB,  # Linux: KiB
        tree_peak_mb=tree_peak_kb * 1024 / MB,
        cpu_s=usage.ru_utime + usage.ru_stime,
        returncode=process.returncode,
        stdout=out_path.read_text(errors="replace")[-2000:],
        stderr=err_path.read_text(errors="replace")[-2000:],
    )


JSON_LOAD = (
    "import json, sys\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "chats = d['chats']['list'] if 'chats' in d else [d]\n"
    "print(sum(len(c['messages']) for c in chats))\n"
)
JSON_LINES = (
    "import json, sys\n"
    "n = 0\n"
    "for line in open(sys.argv[1], encoding='utf-8'):\n"
    "    page = json.loads(line)\n"
    "    n += len(page['data'])\n"
    "print(n)\n"
)


def count_posts(case: Path) -> int | None:
    """Rows of the case's ``posts`` table; None when the case or the table is absent."""
    if not case.exists():
        return None
    db = sqlite3.connect(f"file:{case}?mode=ro", uri=True)
    try:
        (n,) = db.execute("SELECT count(*) FROM posts").fetchone()
        return int(n)
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()


def sniff(path: Path) -> str:
    """Which geotrace reader recognises the file, as ingest would decide."""
    try:
        try:
            from geotrace.sources.base import SNIFF_BYTES
            from geotrace.sources.registry import detect
        except ImportError:  # a tree from before the reader registry (4c52eb3)
            from geotrace.sources.exports import (  # type: ignore[no-redef,attr-defined,unused-ignore]
                SNIFF_BYTES,
                detect,
            )
    except Exception as exc:
        return f"cannot import geotrace's reader registry ({exc})"
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    try:
        reader = detect(path.name, head)
    except Exception as exc:
        return f"detect raised {type(exc).__name__}: {exc}"
    return f"{reader.name} {reader.version}" if reader else "no reader accepts it (yet)"


@dataclass(slots=True)
class Row:
    label: str
    path: Path
    messages: int
    geotrace: Measure | None = None
    posts: int | None = None
    plain: Measure | None = None
    plain_count: str = ""
    note: str = ""  # what else the file holds that a reader may make posts of


def geotrace_command(args: argparse.Namespace) -> list[str]:
    if args.geotrace:
        return [args.geotrace]
    beside = Path(sys.executable).with_name("geotrace")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("geotrace")
    return [found] if found else [sys.executable, "-m", "geotrace"]


def versions() -> str:
    python = platform.python_version()
    return f"Python {python}, geotrace {dist_version('geotrace')}, ijson {dist_version('ijson')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--messages", type=int, default=1_000_000, help="Telegram messages (default 1,000,000)"
    )
    parser.add_argument(
        "--twarc-gb", type=float, default=1.0, help="twarc2 JSONL size in GB (default 1.0)"
    )
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument(
        "--telegram-root",
        choices=("chat", "account"),
        default="chat",
        help="single-chat export (default) or the whole-account root with three chats",
    )
    parser.add_argument("--skip-twarc", action="store_true", help="no twarc2 file")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 100,000 messages, 0.1 GB twarc2"
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="write the inputs, check them, time nothing"
    )
    parser.add_argument(
        "--geotrace", default=None, help="geotrace executable (default: the one beside this Python)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to build (default: the system temp folder)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the inputs and the cases")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.twarc_gb = 100_000, 0.1
    if args.messages < 4:
        parser.error("--messages must be at least 4")

    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with work_folder(
        "geotrace-ingest-", args.keep or args.generate_only, args.workdir, "inputs"
    ) as work:
        return run(args, work)


def generate(args: argparse.Namespace, work: Path) -> list[Row]:
    rows = []
    small = args.messages // 4
    for count in (small, args.messages):
        folder = work / f"telegram-{count}"
        folder.mkdir()
        path = folder / "result.json"
        print(f"writing {path} ...", file=sys.stderr)
        start = time.perf_counter()
        stats = write_telegram(path, count, args.seed, args.telegram_root)
        took = time.perf_counter() - start
        size = path.stat().st_size
        kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(stats.kinds.items()))
        print(
            f"Telegram {args.telegram_root} root, {count:,} messages: {size / MB:,.1f} MB, "
            f"{size / count:.0f} bytes/message, written in {took:.1f} s ({kinds}); "
            f"sniff: {sniff(path)}"
        )
        rows.append(Row(f"Telegram {count:,}", path, count))
    if not args.skip_twarc:
        folder = work / "twarc2"
        folder.mkdir()
        path = folder / "tweets.jsonl"
        print(f"writing {path} ...", file=sys.stderr)
        start = time.perf_counter()
        ts = write_twarc(path, int(args.twarc_gb * 1e9), args.seed)
        took = time.perf_counter() - start
        size = path.stat().st_size
        print(
            f"twarc2 JSONL: {size / MB:,.1f} MB, {ts.pages:,} pages, {ts.tweets:,} tweets in data "
            f"({size / ts.tweets:,.0f} bytes/tweet) + {ts.included_tweets:,} in includes, "
            f"{ts.place_tagged:,} with geo.place_id, {ts.with_coordinates:,} of them with "
            f"geo.coordinates; written in {took:.1f} s; sniff: {sniff(path)}"
        )
        note = f" (and {ts.included_tweets:,} tweets in includes.tweets)"
        rows.append(Row(f"twarc2 {size / 1e9:.2f} GB", path, ts.tweets, note=note))
    return rows


def run(args: argparse.Namespace, work: Path) -> int:
    print(f"{versions()}; {os.cpu_count()} CPUs; {platform.platform()}")
    rows = generate(args, work)
    scratch = work / "scratch"
    scratch.mkdir()
    geotrace = geotrace_command(args)
    for row in rows:
        jsonl = row.path.suffix == ".jsonl"
        print(
            f"timing {row.label}: {'json.loads per line' if jsonl else 'json.load'} ...",
            file=sys.stderr,
        )
        row.plain = measure(
            [sys.executable, "-c", JSON_LINES if jsonl else JSON_LOAD, str(row.path)], scratch
        )
        row.plain_count = (
            row.plain.stdout.strip()
            if row.plain.returncode == 0
            else f"failed ({row.plain.returncode})"
        )
        if row.plain.returncode != 0 or int(row.plain_count) != row.messages:
            print(
                f"  plain parse: {row.plain_count} (expected {row.messages:,}); "
                + row.plain.stderr[-600:]
            )
        if args.generate_only:
            continue
        case = work / "cases" / f"{row.path.parent.name}.case"
        case.parent.mkdir(exist_ok=True)
        print(f"timing {row.label}: geotrace ingest ...", file=sys.stderr)
        row.geotrace = measure([*geotrace, "ingest", str(row.path), "--case", str(case)], scratch)
        row.posts = count_posts(case)
        if row.geotrace.returncode != 0:
            tail = (row.geotrace.stderr.strip() or row.geotrace.stdout.strip())[-600:]
            print(f"  geotrace exit {row.geotrace.returncode}: {tail}")
        if not args.keep:
            shutil.rmtree(case.with_name(case.name + ".media"), ignore_errors=True)
            case.unlink(missing_ok=True)

    if args.generate_only:
        for row in rows:
            ok = row.plain is not None and row.plain.returncode == 0
            seconds = (
                f"{row.plain.seconds:.1f} s, peak RSS {row.plain.peak_mb:,.0f} MB"
                if row.plain
                else ""
            )
            print(
                f"{row.label}: parses as JSON: {'yes' if ok else 'NO'} "
                f"({row.plain_count} messages; {seconds})"
            )
        return 0

    print(
        f"\ngeotrace: {' '.join(geotrace)}; wall time from start to exit, "
        "peak RSS in MB (10^6 bytes):\n"
    )
    table = []
    for row in rows:
        gt, plain = row.geotrace, row.plain
        assert gt is not None and plain is not None
        posts = f"{row.posts:,}" if row.posts is not None else "0 (no posts table)"
        table.append(
            [
                row.label,
                f"{row.path.stat().st_size / MB:,.0f}",
                f"{row.messages:,}",
                posts,
                f"{gt.seconds:.1f}",
                f"{row.messages / gt.seconds:,.0f}",
                f"{gt.peak_mb:,.0f}",
                f"{plain.seconds:.1f}",
                f"{plain.peak_mb:,.0f}",
                f"{plain.seconds / gt.seconds:.2f}×",
            ]
        )
    print(
        markdown_table(
            [
                "input",
                "size MB",
                "messages",
                "posts in case",
                "geotrace s",
                "msgs/s",
                "peak RSS MB",
                "json s",
                "json peak RSS MB",
                "json s ÷ geotrace s",
            ],
            table,
        )
    )
    print(
        "\njson: json.load of the whole document for Telegram; json.loads line by line for "
        "twarc2 (flat memory by construction, so that row compares plain speed)."
    )
    for row in rows:
        assert row.geotrace is not None
        said = [line for line in row.geotrace.stdout.splitlines() if line.strip()][-3:]
        if said:
            print(f"{row.label}: geotrace said: " + " ".join(line.strip() for line in said))
        gt = row.geotrace
        print(
            f"{row.label}: geotrace {gt.cpu_s:.1f} s of CPU (user + system) in {gt.seconds:.1f} s "
            f"wall, exit {gt.returncode}"
        )
        if row.geotrace.tree_peak_mb > 1.05 * row.geotrace.own_peak_mb:
            print(
                f"{row.label}: geotrace's process tree peaked at "
                f"{row.geotrace.tree_peak_mb:,.0f} MB "
                f"(sum of its processes), its main process at {row.geotrace.own_peak_mb:,.0f} MB"
            )
        if row.posts and row.posts != row.messages:
            print(
                f"{row.label}: {row.posts:,} posts in the case "
                f"for {row.messages:,} messages generated{row.note}"
            )
    return verdict(rows)


def verdict(rows: list[Row]) -> int:
    small, big, *rest = rows
    judged = [big, *rest]
    not_ready = [r.label for r in rows if not r.posts]
    # 1 is ingest's "some items skipped" (see geotrace's README): reported, not a crash.
    crashed = [r.label for r in rows if r.geotrace is None or r.geotrace.returncode not in (0, 1)]
    skipped = [r.label for r in rows if r.geotrace is not None and r.geotrace.returncode == 1]
    short = [r.label for r in rows if r.posts is not None and r.posts < r.messages]
    if not_ready:
        print(
            f"\nVERDICT: NOT MEASURABLE, no posts in the case for {', '.join(not_ready)} "
            "(the readers or the ingest of exports not ready yet)"
        )
        return 2
    assert small.geotrace is not None and big.geotrace is not None
    # The speed target is the "1,000,000-message Telegram export"; the twarc2 file
    # (tweets of ~3.8 kB with their includes, seven times a Telegram message) is judged on
    # memory only, and its speed is printed in MB/s beside Telegram's.
    speeds = {big.label: big.messages / big.geotrace.seconds}
    rates = {
        r.label: r.path.stat().st_size / 1e6 / r.geotrace.seconds
        for r in judged
        if r.geotrace and r.path.exists()
    }
    peaks = {r.label: r.geotrace.peak_mb for r in rows if r.geotrace}
    flat = big.geotrace.peak_mb <= FLAT_RSS_FACTOR * small.geotrace.peak_mb
    met = (
        not crashed
        and not short
        and all(s >= TARGET_MSGS_PER_S for s in speeds.values())
        and all(p < TARGET_RSS_MB for p in peaks.values())
        and flat
    )
    print(
        f"\nVERDICT: {'MET' if met else 'MISSED'}, target >= {TARGET_MSGS_PER_S:,} msgs/s and "
        f"peak RSS < {TARGET_RSS_MB:.0f} MB, flat in the file size: "
        + "; ".join(f"{label} {s:,.0f} msgs/s" for label, s in speeds.items())
        + " (read rate: "
        + ", ".join(f"{label} {mb:,.1f} MB/s" for label, mb in rates.items())
        + "); peak RSS "
        + ", ".join(f"{label} {p:,.0f} MB" for label, p in peaks.items())
        + f" ({'flat' if flat else 'NOT flat'}: {small.geotrace.peak_mb:,.0f} → "
        f"{big.geotrace.peak_mb:,.0f} MB from {small.label} to {big.label})"
        + (f"; fewer posts than messages on {', '.join(short)}" if short else "")
        + (f"; geotrace crashed on {', '.join(crashed)}" if crashed else "")
        + (f"; exit 1 (items skipped) on {', '.join(skipped)}" if skipped else "")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
