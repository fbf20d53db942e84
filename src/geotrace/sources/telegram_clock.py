"""The exporting machine's UTC offset, measured from Telegram messages that give both times.

A Telegram Desktop document can hold messages with ``date_unixtime`` and messages without
it (a chat merged from two exports, or an exporter that left it out: mlomb/chat-analytics'
``DM_2A_7M.json``).  Every message that has both gives the exporter's offset at that
moment exactly (``date`` - ``date_unixtime``); a message that has only ``date`` is pinned
by the offset of its nearest such messages *in the same document*: only they were written
by the same machine with the same zone settings.

Offsets change with DST, so the measurement holds between two measured messages only when
no change can lie between them: when both have the same offset and are at most
:data:`EXACT_GAP_S` apart (no zone changes its offset and back within a week), the instant
is exact.  Otherwise -- a message before the first or after the last measured one, a gap
longer than that, or neighbours whose offsets differ -- it takes the nearer neighbour's
offset and an uncertainty that covers a change: one DST shift, or the neighbours' whole
difference when that is larger.  The instant's ``source`` names the messages (id and
byte offset) its offset came from.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from geotrace.records import Instant
from geotrace.sources.jsonitem import Readable

#: Two measured messages this close with one offset leave no room for a change and back:
#: the shortest such interval in tzdata is Morocco's Ramadan pause (about a month).
EXACT_GAP_S = 7 * 86400
#: What one DST change moves a wall clock by (Lord Howe's 30 min is inside it).
DST_SHIFT_S = 3600.0
#: No zone is further than this from UTC; a larger difference is a damaged message.
MAX_OFFSET_S = 14 * 3600

#: tdesktop writes ``id``, ``type``, ``date``, ``date_unixtime`` in this order, each on a
#: line (``export_output_json.cpp``).
_PAIRED = re.compile(
    rb'"id": (-?\d{1,20}),\s+"type": "[a-z_]{1,20}",\s+'
    rb'"date": "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)",\s+"date_unixtime": "(\d{1,12})"'
)
#: Longer than any match of :data:`_PAIRED`: a match is never cut between two reads.
_OVERLAP = 512
_EPOCH = datetime(1970, 1, 1)


def _wall_seconds(local: datetime) -> int:
    return int((local - _EPOCH).total_seconds())


@dataclass(frozen=True, slots=True)
class PairedClock:
    """The measured messages of one document, sorted by their wall-clock time."""

    local: np.ndarray  # wall-clock seconds since 1970-01-01T00:00, as written
    offset: np.ndarray  # date - date_unixtime, seconds
    message: np.ndarray  # message id
    byte: np.ndarray  # where the message's pair was in the document

    def __len__(self) -> int:
        return len(self.local)

    def _name(self, i: int) -> str:
        return f"message {int(self.message[i])} (byte {int(self.byte[i])})"

    def instant(self, local: datetime) -> Instant | None:
        """The UTC instant of a wall-clock ``date``; None when nothing was measured."""
        if not len(self.local):
            return None
        t = _wall_seconds(local)
        after = int(np.searchsorted(self.local, t, side="left"))
        before = int(np.searchsorted(self.local, t, side="right")) - 1
        if after < len(self.local) and self.local[after] == t:
            before = after  # measured at this very wall time
        sides = [i for i in (before, after) if 0 <= i < len(self.local)]
        offsets = {int(self.offset[i]) for i in sides}
        if len(sides) == 2 and before != after:
            gap = int(self.local[after] - self.local[before])
            exact = len(offsets) == 1 and gap <= EXACT_GAP_S
        else:
            exact = before == after
        if exact:
            uncertainty = 0.0
            chosen = before
        else:
            chosen = min(sides, key=lambda i: abs(int(self.local[i]) - t))
            spread = max(offsets) - min(offsets)
            uncertainty = max(DST_SHIFT_S, float(spread))
        names = " and ".join(dict.fromkeys(self._name(i) for i in sides))
        try:
            utc = (local - timedelta(seconds=int(self.offset[chosen]))).replace(tzinfo=UTC)
        except OverflowError:
            return None
        return Instant(
            utc, local, "exporter_offset_inferred", uncertainty, f"date+offset of {names}"
        )


def paired_clock(stream: Readable) -> PairedClock:
    """Every message of the document that gives both ``date`` and ``date_unixtime``, in one
    pass of a regular expression over its bytes (read in 1 MiB blocks)."""
    local, offset, message, byte = array("q"), array("q"), array("q"), array("q")
    buf, base = b"", 0
    while True:
        data = stream.read(1 << 20)
        buf += data
        limit = len(buf) if not data else max(0, len(buf) - _OVERLAP)
        used = 0
        for match in _PAIRED.finditer(buf):
            if match.start() >= limit:
                break
            used = match.end()
            try:
                wall = _wall_seconds(datetime.fromisoformat(match.group(2).decode()))
            except ValueError:
                continue
            shift = wall - int(match.group(3))
            if abs(shift) > MAX_OFFSET_S or not -(2**63) <= int(match.group(1)) < 2**63:
                continue
            local.append(wall)
            offset.append(shift)
            message.append(int(match.group(1)))
            byte.append(base + match.start())
        if not data:
            break
        keep = max(used, limit)
        base += keep
        buf = buf[keep:]
    order = np.argsort(np.frombuffer(local, dtype=np.int64), kind="stable")
    arrays = (np.frombuffer(a, dtype=np.int64)[order] for a in (local, offset, message, byte))
    return PairedClock(*arrays)
