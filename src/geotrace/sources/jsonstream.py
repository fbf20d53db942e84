"""Streaming JSON for the export readers: one item at a time, one bad item at a time.

A document is read in chunks and cut into the items at a path (``chats.list.item.messages.
item``) by a structural scan, and each item is decoded on its own, so that a bad value
costs that item alone (issue 15): a raw control character, ``NaN``, ``1e400``, a 10^30
id, an invalid escape, nesting past :data:`MAX_DEPTH`, invalid UTF-8 are each one
refusal with the item's byte offset and, when its bytes show one, its ``"id"``.

How, and why this and not ijson (which stops for good at the first error):

- The scan is vectorised per chunk (NumPy): quotes not escaped by an odd run of
  backslashes, the in-string state (reset at every raw line end: no JSON writer puts one
  in a string, so a quote inserted or removed in a pretty-printed document spoils one
  line, not the rest of the file), and the bytes ``{ } [ ] , :`` outside strings with
  their depth.  Python sees only the shallow ones, at or above the items' depth: keys on
  the path, the commas between items, the closing bracket, so its loop runs per item.
- Each item is decoded by msgspec (C; 1.0 us a Telegram message against 3.3 us for
  ``json.loads``, ``bench/damage.py --decoders``), and by ``json.loads(strict=False)``
  when msgspec refuses it: that one takes raw control characters, ``NaN``/``Infinity``
  and ``1e400`` (as floats), which a reader's checks then judge; an id of 10^30 is an
  int either way (msgspec writes it back to the case unchanged).  Invalid UTF-8 refuses
  the item: a post whose text is not its bytes would be evidence that differs from its
  original; the refusal names the byte, kept unmodified in the case's copy of the
  document.  Nesting past :data:`MAX_DEPTH` is counted in the scan and refuses the item.
- Resynchronisation: the bytes between two good items (``},\\n   {``) are learnt.  When
  the structure breaks (a bracket lost or added, a closing bracket of the wrong kind, an
  item that never ends), the damaged span is refused and reading resumes at the next
  occurrence of those bytes.  In a pretty-printed document they hold the items' own
  indentation and a line end, so they cannot occur inside a string or a deeper value: an
  item holding them is broken, and is cut there.  A document that ends inside an item
  keeps every item before it and refuses that one (kept when the cut follows its closing
  bracket); stray bytes before an item's ``{`` cost a refusal, not the item.
- Linear time, bounded memory: bytes are kept only from the start of the current item;
  an item longer than :data:`MAX_ITEM_BYTES` is refused with its offset and skipped
  without being kept (one message of 8/16/32 MiB: 0.08/0.13/0.29 s; 500 MiB refused in
  2.8 s; ``bench/damage.py --long``).

Limits: in a compact document (no line ends) a quote or bracket lost is only noticed
when the item never ends, so the bytes after it are held (up to the cap) and the reader
resynchronises at the end of the document; past the cap, the rest is one refusal.
Above the items, a break resumes at the next member of the container it is in (each
container learns the bytes that start its members from its first member's indent); a
break before that indent is seen, or in a compact document, cannot be resynchronised: the
rest of the document is one refusal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import msgspec
import numpy as np

from geotrace.sources.base import Refusal
from geotrace.sources.jsonitem import (
    _DECODER,
    ITEM,
    Found,
    Frame,
    Readable,
    _Broken,
    _Closed,
    _item_id,
    _key,
    _one_off,
    _parse_path,
    _separator,
    decode_item,
)

BOM = b"\xef\xbb\xbf"

#: Deepest nesting an item may have.  Python's own decoder stops near 1,000 levels
#: (its recursion limit), and so does everything downstream that walks a raw item.
MAX_DEPTH = 1_000

#: Largest item kept.  A Telegram message holds at most 4,096 characters of text (a
#: caption 1,024); the largest item in the shared samples is 16 KB (an X archive's
#: manifest), the largest JSON Lines page 400 KB (twarc2).  64 MiB is a hundred times
#: that page and still a small part of a laptop's memory once decoded (Python objects
#: take 2-8x their JSON).
MAX_ITEM_BYTES = 64 << 20

#: Bytes read at a time: the first item comes out after one read (as with ijson), and
#: NumPy's per-call cost (tens of microseconds) stays under 1 % of the decoding.
CHUNK = 1 << 16


_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_STRUCTURE = np.zeros(256, np.bool_)
_STRUCTURE[list(b"{}[],:")] = True
_STEP = np.zeros(256, np.int64)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_KEY = re.compile(rb'"(?:[^"\\\n]|\\.)*"[ \t]*:')
_LENIENT = json.JSONDecoder(strict=False)
_TOO_LARGE = f"longer than {MAX_ITEM_BYTES >> 20} MiB (MAX_ITEM_BYTES)"


class Scanner:
    """Items at one or more paths of equal length, with resynchronisation (module docstring).

    ``paths`` are tuples of keys and :data:`ITEM`; ``where`` names the document.  Frames
    are kept for the containers above the items only: an item's own brackets move the
    depth, not the stack.
    """

    def __init__(self, raw: Readable, paths: Sequence[tuple[str | None, ...]], where: str) -> None:
        self._raw = raw
        self._paths = [tuple(p) for p in paths]
        self._depth = len(self._paths[0])
        self._where = where
        self._buf = bytearray()
        self._base = 0  # offset of buf[0] in the document
        self._scanned = 0  # document offset up to which the structure is known
        self._in_string = False
        self._backslashes = 0
        self._level = 0
        self._eof = False
        self._started = False
        self._stack: list[Frame] = []
        self._target: Frame | None = None  # the items' array while it is the top frame
        self._saved: list[Frame] | None = None  # the frames above the items, for resync
        self._separator: bytes | None = None
        self._last_end = -1  # end of the last good item
        self._skip_from: int | None = None  # an item over the cap, being skipped
        self._closed = -1  # where the root value ended
        self._extra: list[Found] = []  # refusals that follow the item just found
        self._deep: list[int] = []  # where the nesting went past MAX_DEPTH, one a read
        # Where the next resynchronisation may resume at the earliest: just past the last
        # one.  Looking back to the comma that began a broken item could otherwise find
        # the same member again, and a damaged file would be refused for ever.
        self._floor = 0

    # -- reading -------------------------------------------------------------------------

    def _fill(self) -> bool:
        """One more chunk into the buffer; False at the end of the document."""
        if self._eof:
            return False
        data = self._raw.read(CHUNK)
        if not self._started:
            self._started = True
            if data.startswith(BOM):
                data = data[len(BOM) :]
                self._base = self._scanned = len(BOM)
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def _keep_from(self, offset: int) -> None:
        """Forget the bytes before ``offset`` (one memmove per chunk, not per item)."""
        drop = offset - self._base
        if drop > 0:
            del self._buf[:drop]
            self._base = offset

    def _bytes(self, start: int, end: int) -> bytes:
        return bytes(self._buf[max(start - self._base, 0) : end - self._base])

    # -- the structural scan --------------------------------------------------------------

    def _scan(self) -> tuple[list[int], list[int], list[int]]:
        """Positions, bytes and levels of the structure in the unscanned bytes, down to
        the items' depth; the in-string state, depth and backslash carry move on.

        A mark's level is the depth of the container it belongs to: an opening bracket's
        depth before it, a closing one's after it, a comma's or colon's where it stands.
        """
        start = self._scanned - self._base
        view = np.frombuffer(self._buf, np.uint8)[start:]
        n = len(view)
        self._scanned += n
        if n == 0:
            return [], [], []
        quotes = np.flatnonzero(view == 0x22)
        slashes = view == 0x5C
        if self._backslashes or slashes.any():
            # Index of the last byte at or before each position that is no backslash.
            last = np.maximum.accumulate(np.where(slashes, -1, np.arange(n)))
            before = last[np.maximum(quotes - 1, 0)]
            runs = np.where(quotes > 0, quotes - 1 - before, 0)
            runs += np.where((before < 0) | (quotes == 0), self._backslashes, 0)
            quotes = quotes[runs % 2 == 0]
            tail = n - 1 - int(last[-1])
            self._backslashes = tail + (self._backslashes if int(last[-1]) < 0 else 0)
        newlines = np.append(-1, np.flatnonzero(view == 0x0A))
        marks = np.flatnonzero(_STRUCTURE[view])
        at = np.append(marks, n)
        lines = np.searchsorted(newlines, at) - 1  # line ends before each mark
        line_start = newlines[lines] + 1
        quoted = np.searchsorted(quotes, at) - np.searchsorted(quotes, line_start)
        inside = (quoted + np.where(lines > 0, 0, int(self._in_string))) & 1
        self._in_string = bool(inside[-1])
        marks = marks[inside[:-1] == 0]
        codes = view[marks]
        steps = _STEP[codes]
        depth = np.cumsum(steps) + self._level
        if len(depth):
            self._level = int(depth[-1])
            deep = np.flatnonzero(depth > self._depth + MAX_DEPTH)
            if len(deep):  # msgspec decodes any depth: the guard is here
                self._deep.append(int(marks[deep[0]]) + start + self._base)
        levels = depth - (steps > 0)
        # Above the items, and the commas and colons at their level: not an item's own
        # brackets (Python then runs once per item, see bench/damage.py's timing note).
        shallow = (levels < self._depth) | ((levels == self._depth) & (steps == 0))
        offset = start + self._base
        return (
            (marks[shallow] + offset).tolist(),
            codes[shallow].tolist(),
            levels[shallow].tolist(),
        )

    # -- items ----------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Found]:
        if self._depth == 0:
            yield from self._whole()
            return
        while self._fill():
            try:
                yield from self._chunk()
            except _Closed as closed:
                yield from self._trailing(closed.end)
                return
        yield from self._end()

    def _trailing(self, end: int) -> Iterator[Found]:
        """After the root value: whitespace, or one refusal for what follows (ijson's
        "trailing garbage"); the rest is not read."""
        at = end - self._base
        while not self._buf[at:].strip():
            at = len(self._buf)
            if not self._fill():
                return
        offset = self._base + at + len(self._buf[at:]) - len(self._buf[at:].lstrip())
        yield self._refused(offset, "json_broken", "bytes after the end of the document")

    def _whole(self) -> Iterator[Found]:
        """The root value (prefix ``""``): the document is the item."""
        while self._fill():
            if len(self._buf) > MAX_ITEM_BYTES:
                yield self._refused(self._base, "item_too_large", _TOO_LARGE)
                return
        yield self._decoded(self._base, bytes(self._buf).strip(), [])

    def _chunk(self) -> Iterator[Found]:
        """Every item the unscanned bytes complete; then what the next chunk needs kept."""
        while True:
            positions, codes, levels = self._scan()
            try:
                for pos, code, level in zip(positions, codes, levels, strict=True):
                    target = self._target
                    if code == 0x2C and target is not None and target.kind == 0x5B:
                        found = self._item(target, pos, False)  # the comma after an item
                        target.start = pos + 1
                        target.index += 1
                    else:
                        found = self._event(pos, code, level)
                    if found is not None:
                        yield found
                        if self._extra:
                            yield from self._extra
                            self._extra.clear()
                    if self._closed >= 0:
                        raise _Closed(self._closed)
            except _Broken as broken:
                yield from self._resync(str(broken))
                continue
            if not self._split_item():
                break
            yield from self._resync("the item holds the bytes that separate items")
        self._trim()

    def _trim(self) -> None:
        """Forget what no item needs; skip the bytes of an item over the cap."""
        top = self._target
        if top is None:
            keep = self._stack[-1].start if self._stack else self._scanned
            keep = max(min(keep, self._scanned), self._scanned - 4096)  # a key, a scalar
        else:
            keep = top.start - 1  # and the comma before it, where _resync looks
            if self._scanned - keep > MAX_ITEM_BYTES:
                if self._skip_from is None:
                    self._skip_from = keep
                keep = top.start = self._scanned
        self._keep_from(keep)

    def _on_path(self, level: int, step: str | None) -> bool:
        """Whether the frames below ``level`` and ``step`` there begin one of the paths."""
        for path in self._paths:
            if path[level] != step:
                continue
            if all(
                path[i] == (f.key if f.kind == 0x7B else ITEM)
                for i, f in enumerate(self._stack[:level])
            ):
                return True
        return False

    def _retarget(self) -> None:
        """Which frame, if any, holds items now (after a push, a pop or a key)."""
        stack = self._stack
        self._target = None
        if len(stack) == self._depth and stack[-1].on_path:
            top = stack[-1]
            step = top.key if top.kind == 0x7B else ITEM
            if (top.kind != 0x7B or step is not None) and self._on_path(len(stack) - 1, step):
                self._target = top
                self._saved = [f.copy() for f in stack]

    def _event(self, pos: int, code: int, level: int) -> Found | None:
        stack = self._stack
        depth = len(stack)
        if code in _OPEN:
            if depth:
                parent = stack[-1]
                if parent.kind == 0x7B and parent.key is None:
                    raise _Broken(f"a value where a key was expected at byte {pos}")
                parent.nested = True
                if parent.separator is None and parent.kind == 0x5B and pos - parent.start < 4096:
                    parent.separator = _separator(self._bytes(parent.start, pos + 1), bytes([code]))
            on_path = not depth or (
                stack[-1].on_path
                and self._on_path(depth - 1, stack[-1].key if stack[-1].kind == 0x7B else ITEM)
            )
            stack.append(Frame(code, on_path, pos + 1, opened=pos))
            self._retarget()
            return None
        if not stack:
            raise _Broken(f"{chr(code)!r} outside any object or array at byte {pos}")
        top = stack[-1]
        if code == 0x3A:  # ':'
            if top.kind != 0x7B:
                raise _Broken(f"':' in an array at byte {pos}")
            lead = self._bytes(max(top.start, pos - 4096), pos)
            if top.separator is None and pos - top.start < 4096:  # a damaged key has it too
                top.separator = _separator(lead, b'"')
            key = _key(lead)
            if key is None:
                raise _Broken(f"an object key that is no string before byte {pos}")
            key, refused = self._path_key(key, pos) if top.on_path else (key, None)
            top.key, top.start, top.nested = key, pos + 1, False
            self._retarget()
            return refused
        closing = code in _CLOSE
        if closing and code != top.kind + 2:  # ']' is '[' + 2, '}' is '{' + 2
            raise _Broken(f"{chr(code)!r} closes a {chr(top.kind)!r} at byte {pos}")
        found = self._member(top, pos, closing)
        if closing:
            if found is not None:  # the last item keeps the frames it was found under
                found.frames = list(stack)
            stack.pop()
            if not stack:
                self._closed = pos + 1
                return found
            stack[-1].nested = True
        else:
            top.start, top.key, top.nested = pos + 1, None, False
            top.index += 1
            if top.kind == 0x5B and top is self._target:
                return found  # the next item of the same array
        self._retarget()
        return found

    def _path_key(self, key: str, pos: int) -> tuple[str, Found | None]:
        """A key one byte off a key on the path (``"messaes"``) is read as that key where
        the objects before it in the same array had the path's key, at the same member
        index (the chats before this one): then nothing else can be meant.  Elsewhere (a
        first or only chat, ``"chats"`` itself) it is one refusal, since what it holds is
        not read: a damaged key must not drop the items under it silently."""
        stack = self._stack
        level = len(stack) - 1
        top, parent = stack[-1], stack[-2] if level else None
        same_place = parent is not None and parent.kind == 0x5B
        if self._on_path(level, key):
            if same_place and parent is not None:
                parent.path_member = top.index
            return key, None
        near = {
            step
            for path in self._paths
            if isinstance(step := path[level], str) and _one_off(step, key)
        }
        near = {step for step in near if self._on_path(level, step)}
        if len(near) != 1:
            return key, None
        (step,) = near
        if same_place and parent is not None and parent.path_member == top.index:
            return step, None
        why = f"the key {key!r} is one byte off {step!r}, a key on the path: what it holds"
        return key, self._refused(pos, "json_broken", f"{why} is not read")

    def _member(self, frame: Frame, end: int, closing: bool) -> Found | None:
        """The member of ``frame`` that ends at ``end``: an item when at the path, a
        scalar remembered when in an object above it."""
        if self._target is frame:
            return self._item(frame, end, closing)
        # A member without a key is damage above the items (a comma in a string whose quote
        # was lost): it is passed over, and the next key puts the object right (see _key).
        key = frame.key if frame.kind == 0x7B and not frame.nested else None
        if key is not None and end - frame.start <= 4096:
            frame.scalars[key] = self._bytes(frame.start, end)
        return None

    def _item(self, frame: Frame, end: int, closing: bool) -> Found | None:
        start = frame.start
        deep = self._deep
        while deep and deep[0] < start:
            deep.pop(0)
        if deep and deep[0] < end:
            body = self._bytes(start, end)
            lead = start + len(body) - len(body.lstrip())
            why = f"nested deeper than {MAX_DEPTH} levels{_item_id(body)}"
            refused = self._refused(lead, "json_broken", why, self._stack)
            refused.index, self._last_end = frame.index, -1
            return refused
        if self._separator is not None and self._skip_from is None:
            try:  # the common case: one copy of the bytes, one C call
                value = _DECODER.decode(self._buf[start - self._base : end - self._base])
            except msgspec.DecodeError:
                pass
            else:
                self._last_end = end
                return Found(value, None, start, self._stack, frame.index)
        found = self._slow_item(frame, start, end, closing)
        if found is not None:
            found.index = frame.index
        return found

    def _slow_item(self, frame: Frame, start: int, end: int, closing: bool) -> Found | None:
        """An item that msgspec refused, or one of the first (the separator is learnt)."""
        frames = self._stack
        if self._skip_from is not None:
            skipped, self._skip_from = self._skip_from, None
            return self._refused(skipped, "item_too_large", _TOO_LARGE, frames)
        if end - start > MAX_ITEM_BYTES:  # over the cap within the last read
            return self._refused(start, "item_too_large", _TOO_LARGE, frames)
        raw = self._bytes(start, end)
        body = raw.strip()
        if not body:
            if closing and frame.index == 0:
                return None  # an empty array
            return self._refused(start, "json_broken", "an empty item", frames)
        lead = start + len(raw) - len(raw.lstrip())
        found = self._decoded(lead, body, frames)
        late = None if found.refusal is None else self._after_junk(start, lead + len(body))
        if late is not None:  # stray bytes, then a whole item: keep it, refuse the bytes
            junk = self._refused(lead, "json_broken", "bytes before the item, not JSON", frames)
            junk.index = frame.index
            self._extra.append(junk)
            self._last_end = -1
            return Found(late[0], None, late[1], frames)
        salvaged = None if found.refusal is None else self._salvage(lead, lead + len(body))
        if salvaged is not None:  # a whole item, then damage: keep it, refuse the rest
            value, stop = salvaged
            junk = self._refused(stop, "json_broken", "bytes after the item, not JSON", frames)
            junk.index = frame.index
            self._extra.append(junk)
            found = Found(value, None, lead, frames)
            self._last_end = -1
            return found
        if found.refusal is None:
            if self._separator is None and self._last_end >= self._base:
                separator = self._bytes(self._last_end - 1, lead + 1)
                if separator.count(b",") == 1 and len(separator) < 256:
                    self._separator = separator
            self._last_end = lead + len(body)
        else:
            self._last_end = -1
        return found

    def _decoded(self, offset: int, body: bytes, frames: list[Frame]) -> Found:
        try:
            return Found(decode_item(body), None, offset, frames)
        except UnicodeDecodeError as exc:
            why = f"invalid UTF-8 at byte {offset + exc.start}"
        except RecursionError:
            why = f"nested deeper than {MAX_DEPTH} levels"
        except ValueError as exc:
            why = str(exc)
        return self._refused(offset, "json_broken", f"{why}{_item_id(body)}", frames)

    def _refused(
        self, offset: int, code: str, why: str, frames: list[Frame] | None = None
    ) -> Found:
        message = f"item at byte {offset} not read: {why}"
        refusal = Refusal(f"{self._where}#byte {offset}", code, message)
        return Found(None, refusal, offset, frames or [])

    # -- resynchronisation ----------------------------------------------------------------

    def _split_item(self) -> bool:
        """Whether the open item holds the learnt separator of a pretty-printed document,
        i.e. its end was missed (see module docstring)."""
        top = self._target
        if top is not None:
            self._learn_separator(top)
        sep = self._separator
        if top is None or sep is None or b"\n" not in sep or self._skip_from is not None:
            return False
        lo = max(top.start + 1, self._scanned - CHUNK - len(sep)) - self._base
        return self._buf.find(sep, max(lo, 0), self._scanned - self._base) >= 0

    def _resync(self, why: str) -> Iterator[Found]:
        """Refuse the damaged span and resume at the nearest next member start of the
        items' array (the learnt item separator) or of any container above it (its own
        separator, see :class:`Frame`); with none, the rest is refused.

        Above the items, the frames saved with the last array are used only while they
        are still the open containers: a break in the next chat's header must not hand
        that chat's messages to the one before."""
        target, stack = self._target, self._stack
        if target is not None:
            self._saved = [f.copy() for f in stack]
            start = target.start
        else:
            start = max(self._last_end, stack[-1].start if stack else self._scanned)
        saved = self._saved
        current = all(a.opened == b.opened for a, b in zip(stack, saved or [], strict=False))
        if saved and current:
            self._learn_separator(saved[-1])
        start = max(start, self._base)
        search = start + 1
        salvaged = None
        if target is not None and saved:
            salvaged = self._salvage(start, self._scanned)
        if salvaged is not None and saved is not None:
            value, end = salvaged
            yield Found(value, None, start, saved, saved[-1].index)
            start, search = end, end - 1
        # (separator, the frames to resume with, where to look from): the items' array,
        # then the frames above.  Those are looked for from the comma that began the broken
        # item: when a hidden bracket made the scan take a chat's closing brackets for an
        # item's own, that comma starts the next chat, and resuming further on inside the
        # chat frame would hand the next chat's messages to this one.
        ends: list[tuple[bytes, list[Frame], int]] = []
        sep = self._separator
        if sep is not None and saved and current:
            ends.append((sep, saved, search))
        outer = max(start - 1, self._base) if target is not None and salvaged is None else search
        ends += [(f.separator, stack[: k + 1], outer) for k, f in enumerate(stack) if f.separator]
        ends = [(sep, frames, max(at, self._floor)) for sep, frames, at in ends]
        longest = max((len(e[0]) for e in ends), default=0)
        while ends:
            hits = [(self._member_at(e[0], e[2] - self._base), k) for k, e in enumerate(ends)]
            hits = [hit for hit in hits if hit[0] >= 0]
            if hits:
                at, k = min(hits)
                frames = ends[k][1]
                late = self._after_junk(start, self._base + at + 1) if frames is saved else None
                if late is not None and saved is not None:  # stray bytes, then a whole item
                    junk = self._refused(start, "json_broken", "bytes before the item, not JSON")
                    junk.frames, junk.index = saved, saved[-1].index
                    yield junk
                    yield Found(late[0], None, late[1], saved, saved[-1].index)
                    why = ""
                yield from self._resume(why, start, self._base + at + len(ends[k][0]) - 1, frames)
                return
            tail = self._base + len(self._buf) - longest
            ends = [(e[0], e[1], max(e[2], tail)) for e in ends]
            if not self._fill():
                break
        yield self._refused(start, "json_broken", f"{why}; the rest of the document is not read")
        self._stack, self._saved, self._target = [], None, None
        while self._fill():
            self._keep_from(self._base + len(self._buf))
        self._keep_from(self._base + len(self._buf))
        self._scanned = self._base

    def _member_at(self, sep: bytes, at: int) -> int:
        """The next ``sep`` in the buffer from ``at`` that starts a member: when it ends in a
        key's quote, a whole key and its colon follow (damage can fake a separator: a quote
        inserted in an item's indent makes ``,\n "`` of the root's)."""
        buf = self._buf
        at = buf.find(sep, at)
        while at >= 0 and sep.endswith(b'"') and not _KEY.match(buf, at + len(sep) - 1):
            at = buf.find(sep, at + 1)
        return at

    def _resume(self, why: str, start: int, resume: int, frames: list[Frame]) -> Iterator[Found]:
        """Refuse ``start``..``resume`` and read on at ``resume``, the next member of the
        innermost of ``frames``: an item when that is the items' array (the refusal then
        stands for the item it cut), else a member above the items.  No refusal when
        ``why`` is empty (the span was read after all, see :meth:`_after_junk`)."""
        if why:
            body = self._bytes(start, resume)
            item = len(frames) == self._depth
            found = self._refused(
                start, "json_broken", f"{why}{_item_id(body)}", frames if item else []
            )
            found.index = frames[-1].index
            yield found
        self._scanned = resume
        self._floor = resume + 1
        self._in_string = False
        self._backslashes = 0
        self._level = len(frames)
        self._stack = [f.copy() for f in frames]
        top = self._stack[-1]
        top.start, top.key, top.nested = resume, None, False
        top.index += 1
        self._retarget()
        self._last_end = -1

    def _learn_separator(self, items: Frame) -> None:
        """The item separator from the first item's indent, before a second item shows it:
        a break in the first item of a pretty-printed array is then resynchronised too."""
        if self._separator is None and items.index == 0:
            lead = self._bytes(items.start, min(self._scanned, items.start + 4096))
            sep = _separator(lead, b"{")
            self._separator = None if sep is None else b"}" + sep

    def _salvage(self, start: int, end: int) -> tuple[Any, int] | None:
        """A whole object or array at ``start``, before damage that follows it (a bracket
        lost or a byte added just after an item): the value and where it ends."""
        text = self._bytes(start, end).decode("utf-8", "surrogateescape")
        lead = len(text) - len(text.lstrip())
        try:
            value, end = _LENIENT.raw_decode(text, lead)
            used = text[:end].encode("utf-8")  # no byte that was not UTF-8
        except (ValueError, RecursionError):
            return None
        return (value, start + len(used)) if isinstance(value, dict | list) else None

    def _after_junk(self, start: int, end: int) -> tuple[Any, int] | None:
        """A whole item that ends at ``end`` (the learnt separator's ``}``) after stray bytes
        on its first line (``},\n T  {``, a quote before its ``{``): its value and where
        it starts.  Only an opening bracket on that line is tried, and only a value that
        decodes exactly to ``end`` is taken, so no fragment of an item passes for one."""
        raw = self._bytes(start, end)
        first = len(raw) - len(raw.lstrip())
        line = raw.find(b"\n", first)
        p = raw.find(b"{", first + 1, line if line >= 0 else len(raw))
        while p >= 0:
            try:
                value = decode_item(raw[p:])
            except (ValueError, RecursionError):
                value = None
            if isinstance(value, dict):
                return value, start + p
            p = raw.find(b"{", p + 1, line if line >= 0 else len(raw))
        return None

    def _end(self) -> Iterator[Found]:
        """At the end of the document: an item it cuts off is refused, one cut just after
        its closing bracket is kept (the cut is then one refusal); an item that never ended
        (a compact document whose structure broke) is resynchronised."""
        while True:
            top = self._target
            if self._skip_from is not None:
                yield self._refused(self._skip_from, "item_too_large", _TOO_LARGE)
                return
            if top is None:
                if self._stack:
                    yield self._refused(
                        self._scanned, "json_broken", "the document ends before its last bracket"
                    )
                return
            body = self._bytes(top.start, self._scanned).strip()
            if not body:
                yield self._refused(
                    top.start, "json_broken", "the document ends before its last bracket"
                )
                return
            sep = self._separator
            if sep is None or self._buf.find(sep, top.start + 1 - self._base) < 0:
                salvaged = self._salvage(top.start, self._scanned)
                if salvaged is not None:  # cut just after the item's closing bracket
                    yield Found(salvaged[0], None, top.start, list(self._stack), top.index)
                    yield self._refused(
                        salvaged[1], "json_broken", "the document ends before its last bracket"
                    )
                    return
                why = f"the document ends inside this item{_item_id(body)}"
                found = self._refused(top.start, "json_broken", why, list(self._stack))
                found.index = top.index
                yield found
                return
            yield from self._resync("an item that never ends")
            yield from self._chunk()


def scan(stream: Readable, paths: Sequence[tuple[str | None, ...]], where: str) -> Iterator[Found]:
    """Every item at ``paths`` (tuples of keys and :data:`ITEM`, all of one length), with
    the frames above it; a bad item is a :class:`Found` holding its refusal."""
    return iter(Scanner(stream, paths, where))


def json_items(stream: Readable, prefix: str, where: str) -> Iterator[Any | Refusal]:
    """Every value at ``prefix`` (ijson syntax: ``chats.list.item``; ``""`` is the root
    value), or the refusal that stands for a bad one; reading goes on after it.

    Numbers come as ``float``/``int`` (not ``Decimal``), so raw items serialise as JSON.
    """
    for found in scan(stream, [_parse_path(prefix)], where):
        yield found.value if found.refusal is None else found.refusal


def json_lines(stream: Iterable[bytes], where: str) -> Iterator[tuple[int, Any] | Refusal]:
    """(line number, value) for every line of a JSON Lines file; a bad line is a refusal
    at ``where:line N`` and the rest goes on.  Blank lines are skipped.  A line nested
    past Python's recursion limit is a bad line too, not a crash."""
    for number, line in enumerate(stream, start=1):
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            cut = "" if line.endswith(b"\n") else " (last line, cut off)"
            yield Refusal(f"{where}:line {number}", "json_line_invalid", f"{exc}{cut}")
