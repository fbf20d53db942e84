"""Audit and scrub: the API of ``audit`` and ``scrub`` (re-exported by :mod:`geotrace.api`).

``audit`` needs no case for files.  Given a case it also audits the posts and accounts
(all, or one ``account``): what each caption names (the ``text`` stage), platform
geotags, attached files that still carry metadata, the zone the posting hours betray,
and, for each file given, the copies of it in the case that still carry what a scrub
would remove.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geotrace.audit.cleaned import Keep
from geotrace.audit.findings import AuditSeverity, Finding
from geotrace.errors import InputError
from geotrace.sources import Refusal

if TYPE_CHECKING:
    from collections.abc import Callable

    from geotrace.audit.scrub import Scrubbed, ScrubSummary
    from geotrace.store.case import Case

KEEPABLE = ("orientation", "icc")
#: A clear night-time lull places an account within a band of longitudes: it narrows down,
#: it does not place.
_HOURS_SEVERITY: dict[str, AuditSeverity] = {"strong": "medium", "weak": "low", "none": "info"}


def audit(
    paths: Sequence[str | Path] = (),
    case: str | Path | None = None,
    *,
    account: str | None = None,
    ocr: bool = True,
) -> Iterator[Finding | Refusal]:
    """Every finding, file by file, then post by post and account by account; a file
    that cannot be read is a :class:`Refusal` and the rest goes on.  ``ocr`` reads the
    words each picture shows where Tesseract is installed."""
    from geotrace.audit.run import audit_paths

    if not paths and case is None:
        raise InputError("give files or folders to audit, or --case CASE")
    if account is not None and case is None:
        raise InputError("--account needs --case")
    yield from audit_paths(paths, ocr=ocr)
    if case is None:
        return
    from geotrace.pipeline.executors import Local
    from geotrace.pipeline.registry import stage
    from geotrace.pipeline.runner import open_case, run

    with open_case(Path(case), write=True) as opened:
        for name in ("text", "places"):
            run(opened, stage(name), Local())
        yield from _posts(opened, account)
        yield from _accounts(opened, account)
        for path in _files(paths):
            yield from _copies(opened, path)


def scrub(
    inputs: Sequence[str | Path],
    output: str | Path,
    *,
    keep: str | Sequence[str] = (),
    reencode: bool = False,
    exiftool: bool = True,
    workers: int | None = None,
    progress: Callable[[Scrubbed], None] | None = None,
) -> ScrubSummary:
    """A cleaned copy of every file under ``inputs`` in the folder ``output``, read back
    by geotrace and (``exiftool``, where installed) by exiftool; ``keep`` names what to
    keep ("orientation", "icc"); ``reencode`` re-encodes what cannot be cleaned without
    it (lossy), instead of refusing it; ``workers`` processes clean (default: one per
    core)."""
    from geotrace.audit.scrub import scrub_all

    if not inputs:
        raise InputError("give files or folders to scrub")
    words = keep.split(",") if isinstance(keep, str) else list(keep)
    words = [w.strip().lower() for w in words if w.strip()]
    unknown = sorted(set(words) - set(KEEPABLE))
    if unknown:
        raise InputError(f"--keep takes {', '.join(KEEPABLE)}; not {', '.join(unknown)}")
    out = Path(output)
    for given in inputs:
        if Path(given).resolve() == out.resolve():
            raise InputError(f"the output folder {out} is an input: give another")
    chosen = Keep(orientation="orientation" in words, icc="icc" in words)
    return scrub_all(
        inputs,
        out,
        keep=chosen,
        reencode=reencode,
        exiftool=exiftool,
        workers=workers,
        progress=progress,
    )


def _files(paths: Sequence[str | Path]) -> Iterator[Path]:
    from geotrace.sources import find_files

    for found in find_files(paths):
        if not isinstance(found, Refusal):
            yield found


def _posts(case: Case, account: str | None) -> Iterator[Finding]:
    """Each post's caption, platform geotag and attached files' metadata, a post at a
    time: a case of ten million posts is read as a stream, never held."""
    from geotrace.api_text import case_readings
    from geotrace.audit.run import text_findings

    for post in case_readings(case, account):
        subject = f"post {post['id']}"
        yield from text_findings(subject, post, "the caption names", None)
        platform, _, post_id = str(post["id"]).partition(":")
        for lat, lon, radius in case.db.execute(
            "SELECT s.lat, s.lon, s.radius_m FROM posts p JOIN sightings s ON s.post = p.id"
            " WHERE p.platform = ? AND p.post_id = ? AND s.method = 'platform_geotag'"
            " ORDER BY s.id",
            (platform, post_id),
        ):
            yield Finding(
                subject,
                "platform_geotag",
                "high",
                f"the platform placed the post at {lat:.5f}, {lon:.5f} (±{radius:.0f} m)",
                None,
                {"lat": lat, "lon": lon, "radius_m": radius},
            )
        for path, metadata in case.db.execute(
            "SELECT coalesce(m.path, m.ref), m.metadata FROM posts p"
            " JOIN post_media m ON m.post = p.id WHERE p.platform = ? AND p.post_id = ?"
            " AND m.sha256 IS NOT NULL ORDER BY m.rowid",
            (platform, post_id),
        ):
            try:
                meta = json.loads(metadata)
            except ValueError:
                continue
            if isinstance(meta, dict):
                yield from _attached_findings(subject, path, meta)


def _attached_findings(subject: str, path: str, meta: dict[str, Any]) -> Iterator[Finding]:
    what = []
    if meta.get("gps"):
        what.append("GPS")
    if meta.get("taken"):
        what.append("capture time")
    device = meta.get("device") or {}
    if device.get("serials"):
        what.append("serials")
    if device.get("make") or device.get("model"):
        what.append("camera")
    if what:
        severity: AuditSeverity = "high" if len(what) > 1 or what[0] != "camera" else "medium"
        yield Finding(
            subject,
            "attached_metadata",
            severity,
            f"the attached file {path} still carries {', '.join(what)}",
            None,
            {"file": path, "carries": what},
        )


def _accounts(case: Case, account: str | None) -> Iterator[Finding]:
    """The zone each account's posting hours give away."""
    import numpy as np

    from geotrace.audit.hours import zone_from_hours
    from geotrace.store.post_queries import account_ids

    where, args = "", []
    if account is not None:
        owners = account_ids(case, account)
        if not owners:
            raise InputError(f"no account {account!r} in the case")
        where, args = f" AND p.account IN ({','.join('?' * len(owners))})", owners
    rows = case.db.execute(
        "SELECT a.platform || ':' || a.account_id, group_concat(CAST(strftime('%s',"
        " p.posted_utc) AS TEXT)) FROM posts p JOIN accounts a ON a.id = p.account"
        f" WHERE p.posted_utc IS NOT NULL{where} GROUP BY p.account ORDER BY 1",
        args,
    )
    for ident, stamps in rows:
        seconds = np.array([int(s) for s in (stamps or "").split(",") if s], dtype=np.int64)
        verdict = zone_from_hours(seconds)
        if verdict is None:
            continue
        data = {
            "utc_offset_h": verdict.offset,
            "strength": verdict.strength,
            "quiet_local": [verdict.quiet_from, verdict.quiet_to],
            "zones": list(verdict.zones),
            "posts": verdict.posts,
            "days": verdict.days,
        }
        severity = _HOURS_SEVERITY[verdict.strength]
        yield Finding(f"account {ident}", "posting_hours", severity, verdict.sentence(), None, data)


def _copies(case: Case, path: Path) -> Iterator[Finding]:
    """Copies of a given file in the case that still carry GPS, time or camera."""
    from geotrace.analysis.find_copies import copies_of_file
    from geotrace.evidence.fingerprint import ImageError

    try:
        groups = copies_of_file(case, path)
    except (OSError, ImageError):
        return  # not a picture (a video, a damaged file): the file's own findings said so
    for group in groups:
        for member in group["members"]:
            if member.get("outside"):
                continue
            kept = [k for k in ("gps", "taken", "camera") if member.get(k)]
            if not kept:
                continue
            posts = [
                f"{a['platform']}:{a['post_id']}"
                for a in group["appearances"]
                if a.get("sha256") == member["sha256"] and a.get("post_id")
            ]
            where = f" (posted as {', '.join(posts[:5])})" if posts else ""
            yield Finding(
                str(path),
                "copy_with_metadata",
                "high",
                f"a copy in the case still carries {', '.join(kept)}: {member['path']}{where}",
                False,
                {"sha256": member["sha256"], "carries": kept, "posts": posts},
            )
