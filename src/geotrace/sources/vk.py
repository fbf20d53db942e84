"""VKontakte API responses as SDKs and scrapers save them: wall, newsfeed and photo methods.

A saved response carries no method name, so every item is recognised by its shape: a
newsfeed item has ``type``, a photo has ``album_id``, a wall post has ``owner_id``/``id``
(``newsfeed.get`` writes ``source_id``/``post_id`` instead).  What VK gets wrong for an
investigator is handled here:

- a repost's geotag belongs to the original: ``copy_history[0]`` is the post that was
  reposted, with its own author, date and ``geo``; it becomes a post of its own and the
  reposting post only links to it, so a place is never pinned on the person who shared it;
- ``geo.coordinates`` is one string ``"lat lon"`` (newer API versions: an object), and the
  place's ``title``/``city``/``country`` are localised labels that may name another town:
  they stay a label beside the coordinates, never a position of their own;
- text and place names carry HTML entities (``&#9992;``, ``N&#225;m&#283;st&#237;``);
- the extended response's ``profiles``/``groups`` (names and handles) come after
  ``items``: a byte scan finds them and only those arrays are parsed before the items
  (see :func:`_document_names`), so that posts carry names without a second full parse.

JSON Lines files (one response, or one bare item, per line) are read too: scrapers that
page through ``newsfeed.search`` append each response as a line.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, cast

from geotrace.records import NOTE, Account, Geotag, Instant, Link, MediaRef, Post
from geotrace.sources.base import (
    SNIFF_BYTES,
    CountingReader,
    ExportFile,
    ExportReader,
    Record,
    Refusal,
)
from geotrace.sources.common import unix_instant
from geotrace.sources.jsonstream import BOM, json_items, json_lines
from geotrace.sources.vk_media import (
    ITEM_ERRORS,
    _attachments,
    _geo_tags,
    _photo_ref,
    _photo_tag,
    _reason,
    _text,
    _vk_id,
)

PLATFORM = "vk"


#: The plausible Unix times :func:`unix_instant` accepts (1990 to 3000), for the fast path.
EARLIEST, LATEST = 631_152_000, 32_503_680_000

#: ``user_id`` VK writes on a community album's photo when the community itself uploaded it.
COMMUNITY_UPLOADER = 100


#: Newsfeed item types named one by one in the skipped-items note; the rest are summed, so
#: that a hostile file with a new type per item cannot grow the note with the file.
MAX_SKIPPED_KINDS = 32
#: Newsfeed item types whose photos are read as photo posts, and the key that holds them.
NEWSFEED_PHOTO_KEYS = {"photo": "photos", "wall_photo": "photos", "photo_tag": "photo_tags"}

_FIRST_KEY = re.compile(rb'\{\s*"([^"\\]{1,64})"\s*:\s*(.)', re.S)
_ITEM_ID = re.compile(rb'"(?:owner_id|source_id)"\s*:\s*-?\d')
_ITEM_DATE = re.compile(rb'"date"\s*:\s*\d')
_EMPTY_ITEMS = re.compile(rb'"items"\s*:\s*\[\s*\]')
_ERROR_TELL = re.compile(rb'"error_code"\s*:\s*\d')
_LINES_TELL = re.compile(rb'\}\s*\n\s*\{\s*"(?:response|error)"\s*:')
#: First keys of a bare response object (``{"count": 5, "items": [...]}``).
BARE_RESPONSE_KEYS = {"count", "items", "total_count", "next_from"}

#: Account id (signed) -> (handle, display name), from a response's profiles and groups.
Names = dict[int, tuple[str | None, str | None]]
Item = dict[str, Any]
Convert = Callable[[Item, str, "Accounts"], Iterator[Record]]

#: The quoted keys of an extended response's name arrays, as the byte scan looks for them.
NAME_KEYS = (b'"profiles"', b'"groups"')
#: Read size of the byte scan.
SCAN_CHUNK = 1 << 20
#: Accounts kept built per document, at most (ids repeat: one wall, a few authors).
ACCOUNT_CACHE = 65_536
_ARRAY_START = re.compile(rb"\s*:\s*\[")


class Accounts:
    """The accounts a response's items name: each id's :class:`Account`, with the handle
    and name its ``profiles``/``groups`` give, built once per id (a wall has one owner and
    few authors; building the record per post was a tenth of the reading time)."""

    __slots__ = ("_built", "_names")

    def __init__(self, names: Names | None = None) -> None:
        self._names: Names = names or {}
        self._built: dict[int, Account] = {}

    def __call__(self, uid: int) -> Account:
        account = self._built.get(uid)
        if account is None:
            if len(self._built) >= ACCOUNT_CACHE:
                self._built.clear()
            handle, name = self._names.get(uid, (None, None))
            account = self._built[uid] = Account(PLATFORM, str(uid), handle, name)
        return account


@dataclass(frozen=True, slots=True)
class Shape:
    """Where a document's items are (ijson prefix), how to name their location, and
    whether it is a response that may carry ``profiles``/``groups``."""

    kind: str
    items: str
    location: str
    names: bool = False


def _shape(head: bytes) -> Shape | None:
    """The document's layout, judged from its first bytes (BOM and whitespace skipped)."""
    text = head[len(BOM) :] if head.startswith(BOM) else head
    text = text.lstrip()
    if text.startswith(b"["):
        return Shape("array", "item", "[{}]")
    match = _FIRST_KEY.match(text)
    if match is None:
        return None
    key, opener = match.group(1).decode("utf-8", "replace"), match.group(2)
    if key == "response" and opener == b"{":
        return Shape("response", "response.items.item", "response.items[{}]", names=True)
    if key == "response" and opener == b"[":
        return Shape("response_array", "response.item", "response[{}]")
    if key == "response":
        return None
    if key == "error":
        return Shape("error", "error", "error")
    if key in BARE_RESPONSE_KEYS:
        return Shape("bare", "items.item", "items[{}]", names=True)
    return Shape("single", "", "item")


def _strip(head: bytes) -> bytes:
    return (head[len(BOM) :] if head.startswith(BOM) else head).lstrip()


def sniff(name: str, head: bytes) -> bool:
    """A VK API response (or an error), a JSON array or JSON Lines of VK items.

    An item is recognised by a numeric ``owner_id``/``source_id`` and a numeric ``date``
    (Unix seconds): no other platform we read writes that pair.  A bare ``geo`` object
    (no id, no date) is not a post export and is left to others.
    """
    if not name.lower().endswith((".json", ".jsonl", ".ndjson")):
        return False
    shape = _shape(head)
    if shape is None:
        return False
    text = _strip(head)
    if shape.kind == "error":
        return _ERROR_TELL.search(text) is not None and b'"error_msg"' in text
    if shape.kind in ("response", "bare") and _EMPTY_ITEMS.search(text):
        return True
    return _ITEM_ID.search(text) is not None and _ITEM_DATE.search(text) is not None


# -- names ---------------------------------------------------------------------------


def _add_names(names: Names, entry: object, sign: int) -> None:
    """One ``profiles`` (sign 1) or ``groups`` (sign -1) entry into ``names``; a malformed
    entry is skipped: names only decorate accounts whose ids the items already give."""
    if not isinstance(entry, dict):
        return
    try:
        uid = _vk_id(entry.get("id"), "id") * sign
    except ITEM_ERRORS:
        return
    if sign > 0:
        parts = (_text(entry.get("first_name")), _text(entry.get("last_name")))
        name = " ".join(p for p in parts if p) or None
    else:
        name = _text(entry.get("name"))
    names[uid] = (_text(entry.get("screen_name")), name)


def _response_names(response: Mapping[str, Any]) -> Names:
    names: Names = {}
    for key, sign in (("profiles", 1), ("groups", -1)):
        entries = response.get(key)
        if isinstance(entries, list):
            for entry in entries:
                _add_names(names, entry, sign)
    return names


def _last_key_ends(stream: IO[bytes], keys: tuple[bytes, ...]) -> dict[bytes, int]:
    """The offset just past the last occurrence of each quoted key, by a byte scan (a
    tenth of a parse's time).  Inside a JSON string a quote is escaped, so a key preceded
    by a backslash is text and skipped; the last occurrence is the response's own key,
    which follows the items."""
    ends: dict[bytes, int] = {}
    keep = max(map(len, keys))
    tail, base = b"", 0
    while chunk := stream.read(SCAN_CHUNK):
        data = tail + chunk
        for key in keys:
            pos = data.rfind(key)
            while pos > 0 and data[pos - 1] == 0x5C:  # backslash
                pos = data.rfind(key, 0, pos)
            if pos >= 0:
                ends[key] = base + pos + len(key)
        tail = data[-keep:]
        base += len(data) - len(tail)
    return ends


class _From:
    """A binary stream that starts with ``first`` and goes on with ``rest``."""

    def __init__(self, first: bytes, rest: IO[bytes]) -> None:
        self._first, self._rest = first, rest

    def read(self, n: int = -1) -> bytes:
        if not self._first:
            return self._rest.read(n)
        if n < 0 or n >= len(self._first):
            data, self._first = self._first, b""
            return data + self._rest.read(n - len(data) if n >= 0 else -1)
        data, self._first = self._first[:n], self._first[n:]
        return data


def _array_after(stream: IO[bytes], end: int, where: str) -> Iterator[object]:
    """The elements of the JSON array that follows the key ending at byte ``end``; what
    follows the array (the rest of the response) ends ijson with a refusal, ignored."""
    remaining = end
    while remaining > 0:
        skipped = stream.read(min(remaining, SCAN_CHUNK))
        if not skipped:
            return
        remaining -= len(skipped)
    head = stream.read(256)
    match = _ARRAY_START.match(head)
    if match is None:
        return
    array = _From(b"[" + head[match.end() :], stream)
    for entry in json_items(cast(IO[bytes], array), "item", where):
        if not isinstance(entry, Refusal):
            yield entry


def _document_names(doc: ExportFile, shape: Shape) -> Names:
    """The ``profiles``/``groups`` of a response document, found before its items although
    they follow them in the file: a byte scan for the keys, then only those two arrays
    parsed.  A response without them (no ``extended=1``) costs the scan alone.

    Both passes use the uncounted opener, so the progress meter counts the document once,
    in the pass that yields its records; a break in the document is reported there too.
    """
    names: Names = {}
    if not shape.names:
        return names
    with doc.opener() as stream:
        ends = _last_key_ends(stream, NAME_KEYS)
    for key, sign in zip(NAME_KEYS, (1, -1), strict=True):
        if key in ends:
            with doc.opener() as stream:
                for entry in _array_after(stream, ends[key], doc.name):
                    _add_names(names, entry, sign)
    return names


# -- geotags and media -----------------------------------------------------------------


# -- items -----------------------------------------------------------------------------


def _posted_at(item: Mapping[str, Any], location: str, problems: list[Refusal]) -> Instant | None:
    """``date`` (Unix seconds, UTC); an implausible one is refused, the post kept."""
    value = item.get("date")
    if value is None:
        return None
    if type(value) is int and EARLIEST <= value < LATEST:  # the usual case, a third faster
        return Instant(datetime.fromtimestamp(value, UTC), None, "platform_utc", 0.0, "date")
    instant = unix_instant(value, "date")
    if instant is None:
        problems.append(
            Refusal(location, "time_invalid", f"date is not a plausible Unix time: {value!r:.40}")
        )
    return instant


def _post_key(item: Mapping[str, Any]) -> tuple[int, int]:
    """(wall owner, post number): ``owner_id``/``id`` on walls and in search results,
    ``source_id``/``post_id`` in ``newsfeed.get``."""
    if "owner_id" in item:
        return _vk_id(item["owner_id"], "owner_id"), _vk_id(item["id"], "id")
    if "source_id" in item:
        return _vk_id(item["source_id"], "source_id"), _vk_id(item["post_id"], "post_id")
    raise KeyError("owner_id")


def _old_copy_link(item: Mapping[str, Any]) -> Link | None:
    """API < 5.0 wrote a repost's source as ``copy_owner_id``/``copy_post_id`` only."""
    if "copy_owner_id" not in item or "copy_post_id" not in item:
        return None
    owner = _vk_id(item["copy_owner_id"], "copy_owner_id")
    number = _vk_id(item["copy_post_id"], "copy_post_id")
    at = unix_instant(item.get("copy_post_date"), "copy_post_date")
    return Link("repost_of", f"{owner}_{number}", str(owner), None, at)


def _wall_post(
    item: Item, location: str, accounts: Accounts, source: Link | None
) -> tuple[Post, list[Refusal]]:
    """One wall post (or one ``copy_history`` entry) and its refusals; ``source`` is the
    post it reposts, already read.  Its own ``geo`` only: an original's stays with it."""
    owner, number = _post_key(item)
    author_id = _vk_id(item["from_id"], "from_id") if "from_id" in item else owner
    problems: list[Refusal] = []
    posted_at = _posted_at(item, location, problems)
    geotags: list[Geotag] = []
    if "geo" in item:
        tags, reasons = _geo_tags(item["geo"], "geo")
        geotags += tags
        problems += [Refusal(location, "geotag_invalid", r) for r in reasons]
    media: tuple[MediaRef, ...] = ()
    if "attachments" in item:
        refs, photo_tags, attachment_problems = _attachments(item, location)
        media = tuple(refs)
        geotags += photo_tags
        problems += attachment_problems
    link = source or (_old_copy_link(item) if "copy_owner_id" in item else None)
    text = item.get("text")
    post = Post(
        platform=PLATFORM,
        post_id=f"{owner}_{number}",
        kind="post",
        author=accounts(author_id),
        posted_at=posted_at,
        text=html.unescape(text) if isinstance(text, str) else "",
        raw=item,
        location=location,
        url=f"https://vk.com/wall{owner}_{number}",
        chat=accounts(owner) if owner != author_id else None,
        geotags=tuple(geotags),
        media=media,
        links=(link,) if link else (),
    )
    return post, problems


def _repost_chain(item: Item, location: str, accounts: Accounts) -> Iterator[Record]:
    """A wall post and the posts it reposts, oldest first, each linked to its source.

    ``copy_history[0]`` is the post that was reposted, later entries are older (a repost
    of a repost): each is its own post with its own author, date and geotag, and each
    links ``repost_of`` the next, so every link's target is yielded before the link.
    """
    history = item.get("copy_history")
    chain: list[tuple[object, str]] = [(item, location)]
    if isinstance(history, list):
        chain += [(entry, f"{location}.copy_history[{k}]") for k, entry in enumerate(history)]
    elif history is not None:
        yield Refusal(f"{location}.copy_history", "vk_item_invalid", "copy_history is not a list")
    source: Link | None = None
    for entry, where in reversed(chain):
        try:
            if not isinstance(entry, dict):
                raise TypeError(f"not an object: {entry!r:.60}")
            post, problems = _wall_post(entry, where, accounts, source)
        except ITEM_ERRORS as exc:
            source = None
            yield Refusal(where, "vk_item_invalid", _reason(exc))
            continue
        yield post
        yield from problems
        author = post.author
        source = Link(
            "repost_of",
            post.post_id,
            author.account_id if author else None,
            author.name if author else None,
            post.posted_at,
        )


def _photo_post(photo: Item, location: str, accounts: Accounts) -> Iterator[Record]:
    """A photo from ``photos.get``/``getAll``/``search`` (or a newsfeed photo item) as a post
    of kind ``photo``: its uploader is the author (``user_id``; 100 means the community
    itself), the album's owner the chat, its ``lat``/``long`` a ``photo_point`` geotag."""
    owner, number = _vk_id(photo["owner_id"], "owner_id"), _vk_id(photo["id"], "id")
    uploader = photo.get("user_id")
    author_id = owner
    if uploader is not None and uploader != COMMUNITY_UPLOADER:
        author_id = _vk_id(uploader, "user_id")
    problems: list[Refusal] = []
    posted_at = _posted_at(photo, location, problems)
    tag = _photo_tag(photo, "lat/long")
    if isinstance(tag, str):
        problems.append(Refusal(location, "geotag_invalid", tag))
    text = photo.get("text")
    yield Post(
        platform=PLATFORM,
        post_id=f"photo{owner}_{number}",
        kind="photo",
        author=accounts(author_id),
        posted_at=posted_at,
        text=html.unescape(text) if isinstance(text, str) else "",
        raw=photo,
        location=location,
        url=f"https://vk.com/photo{owner}_{number}",
        chat=accounts(owner) if owner != author_id else None,
        geotags=(tag,) if isinstance(tag, Geotag) else (),
        media=(_photo_ref(photo),),
    )
    yield from problems


def _guarded(convert: Convert, item: object, location: str, accounts: Accounts) -> Iterator[Record]:
    """``convert`` over one item; if it fails, one refusal for the item, and the records it
    yielded before failing stay (a chain's originals are good posts of their own)."""
    try:
        if not isinstance(item, dict):
            raise TypeError(f"not an object: {item!r:.60}")
        yield from convert(item, location, accounts)
    except ITEM_ERRORS as exc:
        yield Refusal(location, "vk_item_invalid", _reason(exc))


def _newsfeed_photos(item: Item, kind: str, location: str, accounts: Accounts) -> Iterator[Record]:
    """A newsfeed ``photo``/``wall_photo``/``photo_tag`` item: its photos, each a post."""
    key = NEWSFEED_PHOTO_KEYS[kind]
    try:
        photos = item[key]["items"]
        if not isinstance(photos, list):
            raise TypeError(f"{key}.items is not a list")
    except ITEM_ERRORS as exc:
        yield Refusal(location, "vk_item_invalid", _reason(exc))
        return
    for k, photo in enumerate(photos):
        yield from _guarded(_photo_post, photo, f"{location}.{key}.items[{k}]", accounts)


def _item_records(
    item: object, location: str, accounts: Accounts, skipped: Counter[str]
) -> list[Record]:
    """Whatever one API item is: a newsfeed item (``type``), a photo (``album_id``) or a
    wall post.  Newsfeed items that are neither posts nor photos (``friend``, ``audio``,
    ``note``…) are counted in ``skipped``, not refused: they are not malformed.

    A list, not a generator: one item's records are few, and a generator per item cost
    more than a tenth of the reading time.
    """
    if not isinstance(item, dict):
        return [Refusal(location, "vk_item_invalid", f"not an object: {item!r:.60}")]
    if "type" in item:
        kind = item["type"] if isinstance(item["type"], str) else repr(item["type"])[:40]
        if kind in NEWSFEED_PHOTO_KEYS:
            return list(_newsfeed_photos(item, kind, location, accounts))
        if kind != "post":
            if kind not in skipped and len(skipped) >= MAX_SKIPPED_KINDS:
                kind = "(other types)"
            skipped[kind] += 1
            return []
    if "album_id" in item and "post_type" not in item:
        return list(_guarded(_photo_post, item, location, accounts))
    if "copy_history" in item:
        return list(_guarded(_repost_chain, item, location, accounts))
    try:
        post, problems = _wall_post(item, location, accounts, None)
    except ITEM_ERRORS as exc:
        return [Refusal(location, "vk_item_invalid", _reason(exc))]
    if problems:
        return [post, *problems]
    return [post]


def _error_refusal(error: object, path: str) -> Refusal:
    """A saved ``{"error": …}``: what VK refused, with its code and the method asked."""
    if not isinstance(error, dict):
        return Refusal(path, "vk_api_error", f"VK API error: {error!r:.200}")
    method = None
    params = error.get("request_params")
    if isinstance(params, list):
        method = next(
            (p.get("value") for p in params if isinstance(p, dict) and p.get("key") == "method"),
            None,
        )
    asked = f" ({method})" if method else ""
    return Refusal(
        path,
        "vk_api_error",
        f"VK API error {error.get('error_code')!r:.40}{asked:.80}: {error.get('error_msg')!s:.500}",
    )


def _skipped_note(skipped: Counter[str], path: str) -> Iterator[Refusal]:
    """One note per document for the newsfeed items that are not posts, so that the user
    knows they were there and were not read."""
    if skipped:
        kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(skipped.items()))
        total = sum(skipped.values())
        yield Refusal(
            path,
            "vk_items_skipped",
            f"{total} newsfeed item(s) are not posts or photos and were not read ({kinds})",
            NOTE,
        )


# -- documents -------------------------------------------------------------------------


def _value_records(
    value: object, location: str, accounts: Accounts, skipped: Counter[str]
) -> Iterator[Record]:
    """A value that may be a whole saved response (``{"response": …}``, ``{"error": …}``, a
    bare ``{"items": …}``), a list of items, or one item: JSON Lines and arrays of saved
    responses hold any of these.  A response's own ``profiles``/``groups`` name its items."""
    if isinstance(value, dict) and "error" in value and "response" not in value:
        yield _error_refusal(value["error"], location)
        return
    if isinstance(value, dict) and "response" in value:
        value, location = value["response"], f"{location}: response"
    if isinstance(value, dict) and "items" in value:
        items = value["items"]
        if not isinstance(items, list):
            yield Refusal(location, "vk_item_invalid", "items is not a list")
            return
        names = _response_names(value)
        if names:
            accounts = Accounts(names)
        for k, item in enumerate(items):
            yield from _item_records(item, f"{location}.items[{k}]", accounts, skipped)
    elif isinstance(value, list):
        for k, item in enumerate(value):
            yield from _item_records(item, f"{location}[{k}]", accounts, skipped)
    else:
        yield from _item_records(value, location, accounts, skipped)


def _io(stream: CountingReader) -> IO[bytes]:
    """The counted stream as the JSON helpers type their input (it has what they use:
    ``read``, ``readline`` and iteration); to go once jsonstream accepts it."""
    return cast(IO[bytes], stream)


def _placed(record: Refusal, name: str) -> Refusal:
    """Refusals are built with the item's location only; the document's name goes first."""
    return Refusal(f"{name}#{record.path}", record.code, record.message)


def _read_document(doc: ExportFile, shape: Shape) -> Iterator[Record]:
    """A saved document streamed item by item, after the scan for its names."""
    if shape.kind == "error":
        with doc.open() as stream:
            for value in json_items(_io(stream), "error", doc.name):
                yield value if isinstance(value, Refusal) else _error_refusal(value, doc.name)
        return
    accounts = Accounts(_document_names(doc, shape))
    skipped: Counter[str] = Counter()
    # Items of a response are items; an array or a single value may hold whole responses.
    convert = _item_records if shape.kind in ("response", "bare") else _value_records
    with doc.open() as stream:
        for index, value in enumerate(json_items(_io(stream), shape.items, doc.name)):
            if isinstance(value, Refusal):  # a refused item keeps its index
                yield value
                continue
            location = shape.location.format(index)
            for record in convert(value, location, accounts, skipped):
                yield _placed(record, doc.name) if type(record) is Refusal else record
    yield from _skipped_note(skipped, doc.name)


def _read_lines(doc: ExportFile) -> Iterator[Record]:
    """JSON Lines: each line a saved response or an item; a bad line is refused alone."""
    skipped: Counter[str] = Counter()
    accounts = Accounts()
    with doc.open() as stream:
        for entry in json_lines(_io(stream), doc.name):
            if isinstance(entry, Refusal):
                yield entry
                continue
            number, value = entry
            for record in _value_records(value, f"line {number}", accounts, skipped):
                yield _placed(record, doc.name) if type(record) is Refusal else record
    yield from _skipped_note(skipped, doc.name)


def _head(doc: ExportFile) -> bytes:
    stream: IO[bytes]
    with doc.opener() as stream:
        return stream.read(SNIFF_BYTES)


def read(doc: ExportFile) -> Iterator[Record]:
    """Every post, photo and refusal of a saved VK API response (or JSON Lines of them)."""
    head = _head(doc)
    lines = doc.name.lower().endswith((".jsonl", ".ndjson")) or _LINES_TELL.search(head)
    if lines:
        yield from _read_lines(doc)
        return
    shape = _shape(head)
    if shape is None:
        yield Refusal(
            doc.name,
            "not_vk_response",
            "not a VK API response: no response, error or items at the top",
        )
        return
    if shape.kind == "single" and not _ITEM_ID.search(_strip(head)):
        yield Refusal(
            doc.name,
            "not_vk_response",
            "not a VK API response: no owner_id/source_id (a bare geo object?)",
        )
        return
    yield from _read_document(doc, shape)


VK_API = ExportReader(
    name="vk_api", version="1", suffixes=(".json", ".jsonl", ".ndjson"), sniff=sniff, read=read
)

READERS: tuple[ExportReader, ...] = (VK_API,)
