"""Text renderings for a terminal: what the command line prints, worded here.

The lines come in Rich markup, because the emphasis is part of the wording and the
escaping of untrusted text (file names, account names, notes from posts) belongs where
the markup is written: every value that did not come from this module is escaped here.
The command line only prints them; Rich stays its printing skin (tables, widths, colour).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from geotrace.geo import format_duration

if TYPE_CHECKING:
    from geotrace.evidence import FileReport
    from geotrace.ingest import IngestSummary

#: Column headings of ``inspect``'s table, the path first.
INSPECT_COLUMNS = ("path", "kind", "lat, lon", "taken (UTC, basis)", "device", "problems")
#: Column headings of ``accounts``' table.
ACCOUNT_COLUMNS = (
    "platform",
    "account",
    "names",
    "posts",
    "in chat",
    "first (UTC)",
    "last (UTC)",
    "sightings",
)
#: Column headings of ``regions``' table.
REGION_COLUMNS = (
    "de jure",
    "de facto",
    "admin-1",
    "name",
    "sightings",
    "first (UTC)",
    "last (UTC)",
)


def duration(seconds: float | None) -> str:
    """A span read at a glance: the largest unit it reaches, one decimal."""
    return "?" if seconds is None else format_duration(seconds)


def inspect_row(report: FileReport) -> list[str]:
    """One file's row of ``inspect``'s table (``INSPECT_COLUMNS``)."""
    meta = report.meta
    where = f"{meta.gps.lat:.6f}, {meta.gps.lon:.6f}" if meta.gps else ""
    if meta.gps is not None and not meta.gps.usable:
        where += " (unusable)"
    when = ""
    if meta.taken is not None:
        instant = meta.taken.utc or meta.taken.local
        when = f"{instant.isoformat() if instant else '?'} ({meta.taken.basis})"
    device = " ".join(v for v in (meta.device.make, meta.device.model) if v)
    row = [report.path, meta.kind, where, when, device, str(len(meta.problems))]
    return [escape(cell) for cell in row]


def ingest_summary(summary: IngestSummary, case: Path, problems: Mapping[str, int]) -> list[str]:
    """What an ingest did, then the problems the whole case holds (by code)."""
    lines = [
        f"[bold]{case}[/bold]: {summary.files} files read ({summary.items} items), "
        f"{summary.new_media} new originals, {summary.new_sources} new sources, "
        f"{summary.new_sightings} new sightings ({summary.placed} placed), "
        f"{summary.fingerprinted} pictures fingerprinted, {summary.skipped} skipped"
    ]
    if summary.exports:
        lines.append(
            f"{summary.exports} export documents: {summary.posts} posts read, "
            f"{summary.new_posts} new, {summary.new_links} new provenance links, "
            f"{summary.media_linked} media files linked to their posts"
        )
    if summary.problems:
        listed = ", ".join(f"{code} {n}" for code, n in sorted(summary.problems.items()))
        lines.append(f"problems this run: {escape(listed)}")
    if problems:
        listed = ", ".join(f"{code} {n}" for code, n in problems.items())
        lines.append(f"problems in the case: {escape(listed)}")
    return lines


def copies_groups(found: list[dict[str, Any]]) -> Iterator[str]:
    """``copies``' text: each group numbered, as ``api.copies`` returns them."""
    for number, group in enumerate(found, start=1):
        yield from _group(number, group)


def copies_count(found: list[dict[str, Any]]) -> str:
    """How many groups were found, and how many pictures were too plain to compare."""
    plain = sum(1 for group in found if "note" in group)  # alone: too plain to compare
    alone = f", {plain} pictures too plain to compare" if plain else ""
    return f"{len(found) - plain} groups of copies{alone}"


def _group(number: int, group: dict[str, Any]) -> Iterator[str]:
    members = group["members"]
    name = {m["sha256"]: Path(m["path"]).name for m in members}
    if "note" in group:  # a picture a hash matched, in no group: why
        yield f"[bold]not joined[/bold]: {escape(group['note'])}"
    else:
        yield f"[bold]group {number}[/bold]: {len(members)} files"
    for m in members:
        kept = [k for k in ("gps", "camera", "taken") if m.get(k)]
        where = "outside the case" if m.get("outside") else f"{len(m['paths'])} path(s)"
        yield (
            f"  {m['sha256'][:12]}  {escape(name[m['sha256']])}  {m['size']:,} bytes, {where}"
            + (f"; kept: {', '.join(kept)}" if kept else "")
        )
    first = group["first"]
    if first is not None:
        yield f"  first: {escape(appearance(first))}"
    for a in group["could_be_first"]:
        yield f"  could also be first (clocks cannot decide): {escape(appearance(a))}"
    for a in group["appearances"]:
        delay = a["after_first_s"]
        after = (
            ""
            if delay is None
            else f"+{duration(delay)} (±{duration(a['after_first_uncertainty_s'])}) "
        )
        yield f"    {escape(after + appearance(a))}"
    for key, shas in group["metadata_kept_by"].items():
        if shas and len(shas) < len(members):
            listed = ", ".join(name.get(s, s[:12]) for s in shas)
            yield f"  {key} kept only by {len(shas)} of {len(members)}: {escape(listed)}"
    for e in group["edges"]:
        seen = [
            str(x)
            for x in (
                "↔".join(e["regions"]) if e.get("regions") else None,
                e.get("dihedral"),
                e.get("transformation"),
                None if e.get("ncc") is None else f"correlation {e['ncc']}",
            )
            if x
        ]
        distance = "" if e["distance"] is None else f" d={e['distance']}"
        yield (
            f"  {escape(name.get(e['a'], e['a'][:12]))} ~ {escape(name.get(e['b'], e['b'][:12]))}:"
            f" {e['method']}{distance} {e['relation']}; {escape('; '.join(seen))}"
        )


def appearance(a: dict[str, Any]) -> str:
    """One appearance of a picture, plain text: when (± spread) [basis], where, who, via."""
    when = a["at_utc"] or "no time"
    spread = a["time_uncertainty_s"]
    when += f" ±{duration(spread)}" if spread else ""
    who = a["account_name"] or a["account"] or ""
    what = f"{a['platform']} post {a['post_id']}" if a["kind"] == "post" else "capture time"
    return f"{when} [{a['time_basis']}] {what} {who} ({a['via']})".strip()


def account_rows(rows: Iterable[dict[str, Any]]) -> Iterator[list[str]]:
    """``accounts``' table (``ACCOUNT_COLUMNS``): names seen over time, each once, and the
    first and last post as UTC dates."""
    for r in rows:
        names = ", ".join(
            dict.fromkeys(
                n["name"] or f"@{n['handle']}" for n in r["names"] if n["name"] or n["handle"]
            )
        )
        yield [
            escape(str(v if v is not None else "–"))
            for v in (
                r["platform"],
                r["account_id"],
                names or "–",
                r["posts"],
                r["posts_in_chat"],
                (r["first_post_utc"] or "")[:10] or None,
                (r["last_post_utc"] or "")[:10] or None,
                r["sightings"],
            )
        ]


def region_rows(rows: Iterable[dict[str, Any]]) -> Iterator[list[str]]:
    """``regions``' table (``REGION_COLUMNS``); a row with no country says why in its name."""
    for r in rows:
        yield [
            escape(str(v or "–"))
            for v in (
                r["country_de_jure"],
                r["country_de_facto"],
                r["admin1_code"],
                r["not_placed"] or r["admin1_name"],
                r["sightings"],
                r["first_utc"],
                r["last_utc"],
            )
        ]
