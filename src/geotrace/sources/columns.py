"""The vocabulary of ``ingest --columns``: what a user's own table may map.

Kept apart from the table reader (``generic.py``), which needs the JSON scanner and NumPy,
so that the command line can list the names in its help without loading them.
"""

from __future__ import annotations

#: The names ``ingest --columns`` (and ``api.ingest(columns=…)``) takes, and the field each
#: fills.  Short, as a user types them; ``account`` is the stable id of whoever the row
#: is about (a unit, a person, a vehicle).
COLUMN_NAMES = {
    "id": "id",
    "at": "at",
    "text": "text",
    "account": "author_id",
    "handle": "author_handle",
    "name": "author_name",
    "lat": "lat",
    "lon": "lon",
    "radius_m": "radius_m",
    "place": "place",
    "url": "url",
    "media_url": "media_url",
    "platform": "platform",
    "chat": "chat",
    "reply_to": "reply_to",
}
