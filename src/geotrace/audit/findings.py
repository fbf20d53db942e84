"""One finding of an audit: what gives a file, a post or an account away, and how much.

Severity follows what an adversary gains (research/audit.md, "Recommended design"):
``high`` places or dates the person or names the device that made the picture (GPS, a
capture time, a serial, a unit or village in the caption, a copy elsewhere that still
holds all of it); ``medium`` narrows it down (make and model, the zone of the posting
hours, blocks that usually hold the above); ``low`` is a detail (software, colour
profile); ``info`` says what was not or could not be checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

AuditSeverity = Literal["high", "medium", "low", "info"]
SEVERITIES: Final = ("high", "medium", "low", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    """``subject`` is a file's path, ``post <platform:id>`` or ``account <platform:id>``;
    ``removable`` says whether ``scrub`` removes it (False: it stays, e.g. a file name or
    what the picture shows; None: not a file's metadata)."""

    subject: str
    kind: str
    severity: AuditSeverity
    evidence: str
    removable: bool | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The line ``audit --format jsonl`` writes."""
        return {
            "subject": self.subject,
            "kind": self.kind,
            "severity": self.severity,
            "evidence": self.evidence,
            "removable": self.removable,
            **self.data,
        }


def ordered(findings: list[Finding]) -> list[Finding]:
    """Most serious first, the order of discovery kept within a severity."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: rank[f.severity])
