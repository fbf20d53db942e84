"""The case's fingerprints as arrays (the fingerprint stage's tables), for the copy search.

A query of :mod:`geotrace.evidence.fingerprint_stage`'s tables, beside it.  Every region
of every picture becomes one row of a few NumPy arrays, so that the search compares
millions of hashes without a Python object each: at a million regions the PDQ variants
take 256 MB, the rest a few tens.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: The eight dihedral PDQ variants of a region, 32 bytes each (see records.RegionPrint).
VARIANTS = 8
PDQ_BYTES = 32


@dataclass(frozen=True, slots=True)
class PrintTable:
    """Regions of the fingerprinted pictures: ``owner[r]`` indexes ``shas`` (and
    ``sizes``, ``descriptors``)."""

    shas: list[str]
    sizes: npt.NDArray[np.int64]  # (files, 2) upright width, height
    descriptors: list[bytes | None]
    owner: npt.NDArray[np.int64]
    content: npt.NDArray[np.bool_]  # the region is a content box, not the whole frame
    at_s: npt.NDArray[np.float64]
    boxes: npt.NDArray[np.int64]  # (regions, 4) x0, y0, x1, y1
    pdq: npt.NDArray[np.uint8]  # (regions, 8, 32)
    quality: npt.NDArray[np.int64]
    phash: npt.NDArray[np.uint64]

    def __len__(self) -> int:
        return len(self.owner)


def load_prints(db: sqlite3.Connection, version: str) -> PrintTable:
    """Every region fingerprinted with ``version`` (older versions are not comparable:
    the decoder and the hashes must be the same on both sides)."""
    files = db.execute(
        "SELECT sha256, width, height, descriptor FROM fingerprints"
        " WHERE version = ? AND error IS NULL ORDER BY sha256",
        (version,),
    ).fetchall()
    index = {row[0]: i for i, row in enumerate(files)}
    rows = db.execute(
        "SELECT r.sha256, r.region, r.at_s, r.x0, r.y0, r.x1, r.y1, r.pdq, r.quality, r.phash"
        " FROM fingerprint_regions r JOIN fingerprints f ON f.sha256 = r.sha256"
        " WHERE f.version = ? AND f.error IS NULL ORDER BY r.sha256, r.at_s, r.region",
        (version,),
    ).fetchall()
    n = len(rows)
    pdq = np.frombuffer(b"".join(r[7] for r in rows), dtype=np.uint8)
    return PrintTable(
        shas=[row[0] for row in files],
        sizes=np.array([(row[1], row[2]) for row in files], dtype=np.int64).reshape(-1, 2),
        descriptors=[row[3] for row in files],
        owner=np.fromiter((index[r[0]] for r in rows), dtype=np.int64, count=n),
        content=np.fromiter((r[1] == "content" for r in rows), dtype=np.bool_, count=n),
        at_s=np.fromiter((r[2] for r in rows), dtype=np.float64, count=n),
        boxes=np.array([r[3:7] for r in rows], dtype=np.int64).reshape(-1, 4),
        pdq=pdq.reshape(n, VARIANTS, PDQ_BYTES),
        quality=np.fromiter((r[8] for r in rows), dtype=np.int64, count=n),
        phash=np.fromiter((r[9] for r in rows), dtype=np.int64, count=n).view(np.uint64),
    )
