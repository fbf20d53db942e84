"""What :meth:`Case.put_posts <geotrace.store.case.Case.put_posts>` takes and writes: the
shapes of a post ready to store, and the SQL that stores one.

Kept apart from :mod:`geotrace.store.case` so that the reader side (``ingest_export``,
another process) builds these without the case's machinery.
"""

from __future__ import annotations

from dataclasses import dataclass

from geotrace.records import HEADER_KIND, Sighting

# What :meth:`Case.put_posts` takes is plain tuples, not records: they are built where
# the export is read (another process, see geotrace.ingest_export) and cross a pipe,
# and plain tuples pickle and unpickle three times faster than named tuples or
# dataclasses (measured: 7.6 against 25 us a post to unpickle).

#: An account as one post showed it: (platform, account id, handle, name).
AccountSeen = tuple[str, str, str | None, str | None]
#: A post's media reference: (ref, path, kind, missing, metadata JSON).  ``ref`` is its
#: key within the post (the path or URL as written), ``path`` the file it resolves to
#: (None when outside the export or absent), ``missing`` the exporter's placeholder.
MediaLink = tuple[str, str | None, str | None, str | None, str]
#: A provenance link: (kind, target post, target account, target name, target time);
#: '' for an unknown target part (see migration 3).
LinkRow = tuple[str, str, str, str, str | None]
#: A post ready to store: (``posts`` values in :data:`POST_COLUMNS` order after the three
#: the store fills in (account, chat, source), author, chat, media, links, sightings).
PostBundle = tuple[
    tuple[object, ...],
    AccountSeen | None,
    AccountSeen | None,
    tuple[MediaLink, ...],
    tuple[LinkRow, ...],
    tuple[Sighting, ...],
]


#: ``posts`` columns as :meth:`Case.put_posts` writes them.
POST_COLUMNS = (
    "account",
    "chat",
    "source_sha256",
    "platform",
    "post_id",
    "kind",
    "url",
    "posted_utc",
    "posted_local",
    "time_basis",
    "time_uncertainty_s",
    "time_source",
    "text",
    "raw",
    "location",
)
INSERT_POST = (
    f"INSERT OR IGNORE INTO posts ({', '.join(POST_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(POST_COLUMNS))})"
)
#: A post kept only as a header (id, author, time) takes the whole of a fuller copy of it,
#: whichever of the two was ingested first (a header never overwrites a fuller post); the
#: header's author stays where the copy names none (an archive read without account.js).
FILL_HEADER = (
    "UPDATE posts SET "
    + ", ".join(
        f"{c} = coalesce(?, {c})" if c in ("account", "chat") else f"{c} = ?" for c in POST_COLUMNS
    )
    + f" WHERE platform = ? AND post_id = ? AND kind = '{HEADER_KIND}' RETURNING id"
)
#: ... and a header read after the fuller copy still names the author the copy did not.
HEADER_AUTHOR = (
    "UPDATE posts SET account = ? WHERE platform = ? AND post_id = ? AND account IS NULL"
)


@dataclass(slots=True)
class PostsWritten:
    """What a batch of posts added."""

    posts: int = 0
    sightings: int = 0
    links: int = 0
