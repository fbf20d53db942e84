#!/usr/bin/env python3
"""Build a case with the last release's own code, and write down what that release said.

A case on an investigator's disk was written by whatever version they had; the next
version must open it, upgrade it in place and read the same sightings, posts, places and
copies from it (issue 16).  Proving that needs a case written by the old code itself, and
a binary case in the repository would be opaque, large and frozen to one SQLite build: so
this script makes one from the repository's own history instead.

It extracts ``src/`` of ``--rev`` (the last release, ``646db11``) with ``git archive``,
and runs THAT code (``PYTHONPATH`` pointing at it, this interpreter: the dependencies are
the same) to ingest fixed inputs into ``OUTDIR/release.case``:

- the repository's ``demo/`` folder (photos and exports), always;
- when ``../shared`` is beside the checkout (and not ``--no-shared``): a few photos with
  GPS (one in Crimea, one near St Petersburg), one export of each platform, and three
  copies of one photo made here as the provenance benchmark makes its queries (a
  recompressed half-size copy, a mirror, a crop), with another shot of the same place that
  must stay apart.  The benchmark set itself is built from Debian packages and is not in
  ``../shared``, so its edits are made from a shared photo instead.

Then the old code runs its ``copies`` on the whole case (so that its checked pairs and
fingerprints are stored), and writes ``OUTDIR/release.json``: its ``sightings``,
``posts`` (all, with the raw items), ``regions``, ``accounts`` and ``copies``, as its
own API returned them, passed through :func:`normalise` (the only run-to-run
difference: where ``OUTDIR`` is).

``tests/store/test_upgrade.py`` runs this and opens the case with today's code.

Usage: ``python scripts/build_release_case.py OUTDIR [--rev REV] [--no-shared]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEFAULT_REV = "646db11"

#: What the old release ingests from ../shared, relative to its corpora folder.
SHARED_INPUTS = (
    "photos/jpeg/photoprism__altitude.jpg",  # Crimea: de jure and de facto differ
    "photos/jpeg/photoprism__panorama360.jpg",  # near St Petersburg
    "photos/jpeg/mei__Nikon D5000.jpg",
    "photos/jpeg/exiftool__GPS.jpg",
    "photos/jpeg/elodie__with-location-inv.jpg",  # a fix in the ocean: no country
    "photos/jpeg/exifpy__DSCN0040.jpg",  # same camera and place as the copies' original
    "exports/telegram_desktop_json/chm_telegram_2021-05.result.json",
    "exports/telegram_telethon_json/generated_telethon-1.45.0_to_json.jsonl",
    "exports/vk_api_json/vknet_NewsFeed_Get2.json",
    "exports/twitter_api_v1/twitter-to-sqlite_tweets.json",
    "exports/twitter_api_v2_twarc2/twarc-csv_media_tweet.jsonl",
    "exports/twitter_archive/twitter-to-sqlite_account.js",
    "exports/instagram_dyi_json/yummyhopper_posts_1.json",
)
#: The photo the copies are made of (Nikon, GPS in Tuscany, a capture time).
ORIGINAL = "photos/jpeg/exifpy__DSCN0021.jpg"

#: Where OUTDIR was, in the normalised results.
OUT = "<OUTDIR>"

#: Run by the old release's code: ingest, copies, and what its API said of the case.
OLD_RUN = r"""
import json, sys
from pathlib import Path

import geotrace
from geotrace import api

args = json.loads(sys.argv[1])
if not Path(geotrace.__file__).resolve().is_relative_to(Path(args["src"]).resolve()):
    sys.exit(f"imported {geotrace.__file__}, not the release extracted at {args['src']}")
case = args["case"]
api.ingest(args["inputs"], case)
copies = api.copies(case)
said = {
    "sightings": api.sightings(case),
    "posts": list(api.posts(case, raw=True)),
    "regions": api.regions(case),
    "accounts": api.accounts(case),
    "copies": copies,
}
Path(args["out"]).write_text(json.dumps(said, default=str, sort_keys=True), encoding="utf-8")
"""


def normalise(results: Any, outdir: Path) -> Any:
    """``results`` as JSON carries them, with ``outdir`` masked in every string.

    The only thing two builds differ in: where the inputs were (the case keeps their
    paths).  The API gives no ingest time, so no time needs masking (two builds of this
    script into two folders write the same ``release.json``, byte for byte)."""
    root = str(outdir.resolve())

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            return value.replace(root, OUT)
        return value

    return walk(json.loads(json.dumps(results, default=str, sort_keys=True)))


def inputs(dest: Path, shared: Path | None) -> list[Path]:
    """Copy the fixed inputs under ``dest`` (the case records their paths, so they must
    stay where the old release read them); return the folders to ingest."""
    shutil.copytree(REPO / "demo", dest / "demo", ignore=shutil.ignore_patterns("*.md"))
    if shared is None:
        return [dest / "demo"]
    corpora = shared / "corpora"
    for name in SHARED_INPUTS:
        target = dest / "shared" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpora / name, target)
    _copies_of(corpora / ORIGINAL, dest / "shared" / "copies")
    return [dest / "demo", dest / "shared"]


def _copies_of(original: Path, folder: Path) -> None:
    """The original and three copies of it, edited as the provenance benchmark edits its
    queries; Pillow writes the same bytes for the same calls, so the inputs are fixed."""
    from PIL import Image

    folder.mkdir(parents=True)
    shutil.copyfile(original, folder / original.name)
    with Image.open(original) as im:
        photo = im.convert("RGB")
    edits = {
        "resized.jpg": photo.resize((photo.width // 2, photo.height // 2)),
        "mirrored.jpg": photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "cropped.jpg": photo.crop(
            (photo.width // 10, photo.height // 8, photo.width, photo.height)
        ),
    }
    for name, image in edits.items():
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=80)
        (folder / name).write_bytes(buf.getvalue())


class NoHistory(RuntimeError):
    """The release's code cannot be had: no git, or a checkout without that commit (an
    sdist or tarball install, a shallow clone)."""


def extract(rev: str, dest: Path) -> str:
    """Unpack ``src/`` of ``rev`` into ``dest`` (``git archive``, untarred with the
    standard library's safe ``data`` filter); return the full commit id."""
    git = shutil.which("git")
    if git is None or not (REPO / ".git").exists():
        raise NoHistory(f"{REPO} has no git history: the release's code cannot be extracted")
    try:
        commit = subprocess.run(
            [git, "-C", str(REPO), "rev-parse", "--verify", rev + "^{commit}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        archive = subprocess.run(
            [git, "-C", str(REPO), "archive", "--format=tar", commit, "src"],
            check=True,
            capture_output=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise NoHistory(f"git cannot give {rev} here: {exc.stderr.strip()!r}") from exc
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return commit


def build(outdir: Path, rev: str = DEFAULT_REV, shared: Path | None = SHARED) -> dict[str, Any]:
    """Build ``outdir/release.case`` and ``outdir/release.json`` (see the module
    docstring); return the manifest also written to ``outdir/manifest.json``."""
    outdir.mkdir(parents=True, exist_ok=True)
    if any(outdir.iterdir()):
        raise RuntimeError(f"{outdir} is not empty")
    if shared is not None and not shared.exists():
        shared = None
    case, said = outdir / "release.case", outdir / "said.json"
    with tempfile.TemporaryDirectory(prefix="geotrace-release-") as tmp:
        commit = extract(rev, Path(tmp))
        folders = inputs(outdir / "inputs", shared)
        src = str(Path(tmp) / "src")
        args = {
            "src": src,
            "case": str(case),
            "inputs": [str(f) for f in folders],
            "out": str(said),
        }
        env = {**os.environ, "PYTHONPATH": src}
        subprocess.run(
            [sys.executable, "-c", OLD_RUN, json.dumps(args)], check=True, cwd=tmp, env=env
        )
    results = normalise(json.loads(said.read_text(encoding="utf-8")), outdir)
    said.unlink()
    (outdir / "release.json").write_text(
        json.dumps(results, indent=1, sort_keys=True), encoding="utf-8"
    )
    manifest = {
        "rev": commit,
        "case": case.name,
        "inputs": [str(f.relative_to(outdir)) for f in folders],
        "shared": shared is not None,
    }
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="an empty or new folder")
    parser.add_argument("--rev", default=DEFAULT_REV, help="the release (default %(default)s)")
    parser.add_argument("--no-shared", action="store_true", help="the demo inputs only")
    args = parser.parse_args(argv)
    manifest = build(args.outdir, args.rev, None if args.no_shared else SHARED)
    print(json.dumps(manifest, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
