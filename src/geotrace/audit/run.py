"""The audit of files: metadata and blocks (:mod:`.files`), the name, and the words the
picture shows; no case needed.  The case's side (posts, accounts, copies) is
:mod:`geotrace.api_audit`'s, which can open one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from geotrace.audit.findings import AuditSeverity, Finding, ordered
from geotrace.sources import Refusal, find_files

#: Seconds Tesseract may spend on one picture before the audit says it gave up.
OCR_TIMEOUT_S = 60.0


def place_of(lat: float, lon: float) -> str:
    """A position in words: the nearest settlement, its distance, and the country whose
    territory it is in (``places.borders``: the de jure answer, 0 wrong on the hidden set)."""
    from geotrace.geodata.gazetteer import nearest_settlements
    from geotrace.places.borders import locate

    hit = nearest_settlements([lat], [lon])
    country = str(locate([lat], [lon]).de_jure[0]) or "no country"
    name = str(hit.name[0])
    if not name:
        return country
    return f"{hit.distance_km[0]:.1f} km from {name}, {country}"


def audit_paths(paths: Iterable[str | Path], *, ocr: bool = True) -> Iterator[Finding | Refusal]:
    """Findings of every file under ``paths``, a file at a time; an unreadable one is a
    refusal with its reason, and the rest goes on."""
    from geotrace.audit.files import audit_buffer
    from geotrace.evidence.reader import opened

    tesseract = _tesseract() if ocr else None
    for found in find_files(paths):
        if isinstance(found, Refusal):
            yield found
            continue
        path = str(found)
        try:
            with opened(found) as buf:
                findings = audit_buffer(buf, path, place_of)
        except OSError as exc:
            yield Refusal(path, "unreadable", exc.strerror or str(exc))
            continue
        findings.extend(name_findings(path))
        if ocr:
            findings.extend(visible_text(path, tesseract))
        if not any(f.severity != "info" for f in findings):
            findings.append(
                Finding(
                    path,
                    "nothing_found",
                    "info",
                    "no metadata, name or text found that gives anything away",
                    None,
                )
            )
        yield from ordered(findings)


def name_findings(path: str) -> Iterator[Finding]:
    """Dates, apps and cameras a file's name gives away; scrub keeps the name."""
    from geotrace.audit.filenames import name_findings as clues

    for clue in clues(Path(path).name):
        dated = clue.kind in ("date", "datetime", "epoch")
        severity: AuditSeverity = "medium" if dated else "low"
        data = {"clue": clue.kind, "value": clue.value, "source": clue.source, "clock": clue.clock}
        yield Finding(path, "file_name", severity, clue.sentence(), False, data)


@cache
def _tesseract() -> Any:
    try:
        from geotrace.audit.ocr import find_tesseract
    except ImportError:  # written by a helper right now; remove once it lands
        return None
    return find_tesseract()


def visible_text(path: str, tool: Any) -> Iterator[Finding]:
    """The words the picture shows, read by Tesseract and then by the text stage; without
    Tesseract, one finding says that this check did not run."""
    if tool is None:
        yield Finding(
            path,
            "visible_text",
            "info",
            "visible text not read: Tesseract is not installed"
            " (Debian: tesseract-ocr tesseract-ocr-rus tesseract-ocr-ukr)",
            None,
        )
        return
    from geotrace.audit.ocr import read_visible_text
    from geotrace.evidence.text.reading import read_text

    result = read_visible_text(tool, Path(path), OCR_TIMEOUT_S)
    if result.error:
        yield Finding(path, "visible_text", "info", f"visible text not read: {result.error}", None)
        return
    text = " ".join(result.text.split())
    if not text:
        return
    yield from text_findings(path, read_text(text).json(None), "the picture shows", False)
    yield Finding(
        path,
        "visible_text",
        "medium",
        f"the picture shows text: {text[:200]!r}",
        False,
        {"text": text[:2000]},
    )


def text_findings(
    subject: str, reading: dict[str, Any], said: str, removable: bool | None
) -> Iterator[Finding]:
    """Places, units and casualty cues of a reading in its JSON form (``TextReading.json``,
    or a post's row of ``mentions``): a caption, or what a picture shows."""
    for p in reading.get("places", ()):
        placed = any(p.get(k) for k in ("geonameid", "admin1", "country", "region"))
        close = p.get("relation") in ("at", "near")
        severity: AuditSeverity = "high" if close and placed else "medium"
        where = p.get("admin1") or p.get("country") or p.get("feature") or "unresolved"
        yield Finding(
            subject,
            "text_place",
            severity,
            f"{said} a place: {p['text']!r} ({p.get('relation')}, {p.get('kind')}, {where})",
            removable,
            {"text": p["text"], "relation": p.get("relation"), "place": where},
        )
    for u in reading.get("units", ()):
        yield Finding(
            subject,
            "text_unit",
            "high",
            f"{said} a unit: {u['text']!r}",
            removable,
            {"text": u["text"]},
        )
    for c in reading.get("casualty_cues", ()):
        yield Finding(
            subject,
            "text_casualty",
            "medium",
            f"{said} a casualty cue: {c['text']!r} ({c['kind']})",
            removable,
            {"text": c["text"], "cue": c["kind"]},
        )
