"""SQL that every layer shares: the shape of a migration set, and fragments over the core
records.

A leaf module (it imports nothing of geotrace), so that a stage, which may not import the
store, declares its tables in the same shape as the store's core, and its queries use the
same definition of "the account's latest name" and "whose picture it is" as the store's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Step:
    """One migration: ``sql`` is a script of statements separated by ``;``."""

    name: str
    sql: str
    #: The ``schema_version`` that made this step in a case written before the sets.
    legacy: int | None = None


@dataclass(frozen=True, slots=True)
class MigrationSet:
    """The ordered steps of one owner of tables; ``name`` is the stage's (or "core")."""

    name: str
    steps: tuple[Step, ...]


def latest_name(alias: str) -> str:
    """SQL for the name the account ``alias`` was last seen under: display name, else
    handle."""
    return (
        "(SELECT coalesce(nullif(n.name, ''), nullif(n.handle, '')) FROM account_names n"
        f" WHERE n.account = {alias}.id ORDER BY n.last_seen IS NULL, n.last_seen DESC LIMIT 1)"
    )


#: SQL for the earliest post that carried a sighting's (``s``) media: whose picture it is.
FIRST_POST_OF_MEDIA = (
    "(SELECT pm.post FROM post_media pm JOIN posts fp ON fp.id = pm.post"
    " WHERE pm.sha256 = s.media_sha256"
    " ORDER BY fp.posted_utc IS NULL, fp.posted_utc, fp.id LIMIT 1)"
)
