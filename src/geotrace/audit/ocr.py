"""The visible text of a picture, read by Tesseract when it is installed.

A scrubbed photo still shows what was in front of the lens: a unit number on a vehicle, a
road sign, a shop name, a chat on a screenshot (``research/audit.md``, "What no scrubber
reports").  Reading that text and passing it to the text stage (``read_text``: units, places,
casualty cues) tells a journalist what the pixels give away.

Tesseract is an optional external tool (Apache-2.0, in every distribution), found at run time:
``GEOTRACE_TESSERACT`` or ``tesseract`` on PATH.  No Python binding is used because the command
line is the stable interface and keeps a crashing or hung OCR run in its own process, which a
timeout can end.  It runs with ``OMP_THREAD_LIMIT=1``: its OpenMP threads slow small pictures
down and fight over the cores when several files are read in parallel.

Tesseract decodes through Leptonica, whose ``--version`` line names the image libraries it was
built with.  A format it cannot read (HEIC, AVIF, or WebP on a build without libwebp), and any
picture whose EXIF orientation says it is shown rotated (Tesseract ignores EXIF, and sideways
text is not read), is decoded with Pillow (and pillow-heif where installed) into a temporary
PNG; the original file is only ever read.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: Languages read when their data is installed: the project's posts are Russian and Ukrainian,
#: and signs, plates and app screens mix in Latin script.
LANGUAGES = ("rus", "ukr", "eng")
#: Seconds allowed for ``--version`` and ``--list-langs``.
PROBE_TIMEOUT_S = 10.0
#: Leptonica's image libraries (as ``tesseract --version`` names them) -> formats they read.
_LIBRARIES = {
    "libjpeg": "jpeg",
    "libpng": "png",
    "libtiff": "tiff",
    "libgif": "gif",
    "libwebp": "webp",
    "libopenjp2": "jp2",
}
#: Read by Leptonica without any library.
_BUILT_IN = frozenset({"bmp", "pnm"})


@dataclass(frozen=True, slots=True)
class Tesseract:
    """An installed Tesseract: where, which version, which languages, which image formats."""

    path: str
    version: str
    languages: tuple[str, ...]
    formats: frozenset[str]


@dataclass(frozen=True, slots=True)
class OcrResult:
    """What OCR read, or why it did not run; never an exception."""

    text: str
    #: Mean word confidence, 0-100, from Tesseract's TSV output; None when no word was read.
    confidence: float | None
    languages: tuple[str, ...]
    seconds: float
    #: Why nothing was read (no Tesseract, a timeout, an undecodable file); None on success.
    error: str | None = None

    @property
    def ran(self) -> bool:
        return self.error is None


def _probe(binary: str, *args: str) -> str | None:
    try:
        done = subprocess.run(
            [binary, *args], capture_output=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def find_tesseract() -> Tesseract | None:
    """The Tesseract to use, or None when none runs (``GEOTRACE_TESSERACT`` wins over PATH)."""
    binary = os.environ.get("GEOTRACE_TESSERACT") or shutil.which("tesseract")
    if not binary:
        return None
    version = _probe(binary, "--version")
    langs = _probe(binary, "--list-langs")
    if version is None or langs is None:
        return None
    first = version.splitlines()[0].strip() if version.strip() else "tesseract"
    installed = {line.strip() for line in langs.splitlines()[1:]}
    formats = _BUILT_IN | {fmt for lib, fmt in _LIBRARIES.items() if f"{lib} " in version}
    return Tesseract(
        path=binary,
        version=first,
        languages=tuple(lang for lang in LANGUAGES if lang in installed),
        formats=frozenset(formats),
    )


def _sniff(head: bytes) -> str | None:
    """The image format by magic number, as named in ``_LIBRARIES``; None if not one of them."""
    signatures = (
        (b"\xff\xd8\xff", "jpeg"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"II*\x00", "tiff"),
        (b"MM\x00*", "tiff"),
        (b"GIF8", "gif"),
        (b"BM", "bmp"),
        (b"\x00\x00\x00\x0cjP  ", "jp2"),
    )
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:1] == b"P" and head[1:2] in b"123456":
        return "pnm"
    return None


#: Pictures above this many pixels are read at this size (a 12 MP phone photo's): a sign
#: legible to the eye stays legible to Tesseract, which takes 15-22 s on a 16 MP photo, and
#: a decompression bomb (a 50,000 x 50,000 PNG) never reaches Leptonica at full size.
MAX_OCR_PIXELS = 12_000_000


def _needs_pillow(path: Path, tool: Tesseract) -> bool:
    """True when Leptonica cannot read the file, EXIF says it is displayed rotated, or it is
    larger than ``MAX_OCR_PIXELS`` (or too large for Pillow to open at all: then Pillow's
    refusal is the reason given, and Tesseract is never handed it)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return True  # Pillow's attempt will say why
    fmt = _sniff(head)
    if fmt not in tool.formats:
        return True
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_OCR_PIXELS:
                return True
            return fmt in ("jpeg", "tiff", "webp", "png") and image.getexif().get(
                0x0112, 1
            ) not in (0, 1)
    except Image.DecompressionBombError:
        return True
    except (OSError, ValueError, SyntaxError):
        return False  # Pillow cannot tell; Leptonica may still read it


def _to_png(path: Path, folder: str) -> Path:
    """The picture decoded (HEIC through pillow-heif when installed), turned upright, no
    larger than ``MAX_OCR_PIXELS``, as PNG."""
    from PIL import Image, ImageOps

    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        pass
    else:
        register_heif_opener()
    with Image.open(path) as image:
        scale = (MAX_OCR_PIXELS / max(1, image.width * image.height)) ** 0.5
        if scale < 1:
            size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
            image.draft("RGB", size)  # JPEG: decode at 1/2, 1/4, 1/8 scale directly
            image.thumbnail(size)
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in ("1", "L", "RGB", "RGBA"):
            upright = upright.convert("RGB")
        out = Path(folder) / "page.png"
        upright.save(out)
    return out


def _decoded(path: Path, folder: str) -> Path | str:
    """``_to_png``, or why it failed: Pillow and its plugins raise many types on bad files."""
    try:
        return _to_png(path, folder)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def _parse_tsv(tsv: str) -> tuple[str, float | None]:
    """Tesseract's TSV rows -> text (a line per OCR line, a blank line between blocks) and the
    mean confidence of its words."""
    lines: dict[tuple[str, str, str], list[str]] = {}
    confidences: list[float] = []
    for row in csv.DictReader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            continue
        if not word or conf < 0:
            continue
        confidences.append(conf)
        key = (row.get("block_num") or "", row.get("par_num") or "", row.get("line_num") or "")
        lines.setdefault(key, []).append(word)
    text_lines: list[str] = []
    block = None
    for (block_num, _, _), words in lines.items():
        if block is not None and block_num != block:
            text_lines.append("")
        block = block_num
        text_lines.append(" ".join(words))
    mean = sum(confidences) / len(confidences) if confidences else None
    return "\n".join(text_lines), mean


def _stderr_reason(stderr: bytes, returncode: int) -> str:
    """The line of Tesseract's complaint that says what went wrong (Leptonica prints a chain
    of "Error in pix..." lines after the decoder's own message, and a bare last line)."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith(("Corrupt", "Premature", "Error", "Unsupported", "Failed")):
            return line
    return lines[-1] if lines else f"exit status {returncode}"


def read_visible_text(tool: Tesseract | None, path: Path, timeout_s: float) -> OcrResult:
    """The text Tesseract sees in the picture at ``path``; a result with ``error`` set (never
    an exception) when Tesseract is absent, fails, times out, or the file cannot be decoded.

    Leptonica gives up on a JPEG at the first libjpeg warning (a stray byte before a marker,
    an Ultra HDR gain map after the image), which Pillow decodes; so a file Tesseract could
    not read is tried once more through Pillow, within the same ``timeout_s``.
    """
    began = time.perf_counter()

    def failed(reason: str, langs: tuple[str, ...] = ()) -> OcrResult:
        return OcrResult("", None, langs, time.perf_counter() - began, reason)

    if tool is None:
        return failed(
            "OCR not run: Tesseract is not installed (install the tesseract-ocr package with "
            "its rus and ukr language data, or set GEOTRACE_TESSERACT)"
        )
    if not tool.languages:
        return failed(f"OCR not run: {tool.path} has no {'/'.join(LANGUAGES)} language data")
    langs = tool.languages
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def run(source: Path) -> subprocess.CompletedProcess[bytes]:
        command = [tool.path, str(source), "stdout", "-l", "+".join(langs), "--psm", "3", "tsv"]
        left = max(0.1, timeout_s - (time.perf_counter() - began))
        return subprocess.run(command, capture_output=True, timeout=left, env=env, check=False)

    try:
        with tempfile.TemporaryDirectory(prefix="geotrace-ocr-") as folder:
            refused = None
            if not _needs_pillow(path, tool):
                done = run(path)
                if done.returncode == 0:
                    return _result(done, langs, began)
                refused = _stderr_reason(done.stderr, done.returncode)
            png = _decoded(path, folder)
            if isinstance(png, str):
                if refused is not None:
                    return failed(f"OCR failed: {refused} (nor could Pillow decode it)", langs)
                return failed(f"OCR not run: the picture could not be read ({png})", langs)
            done = run(png)
    except subprocess.TimeoutExpired:
        return failed(f"OCR not finished: Tesseract took longer than {timeout_s:g} s", langs)
    except OSError as exc:
        return failed(f"OCR not run: {tool.path}: {exc.strerror or exc}", langs)
    if done.returncode != 0:
        return failed(f"OCR failed: {_stderr_reason(done.stderr, done.returncode)}", langs)
    return _result(done, langs, began)


def _result(
    done: subprocess.CompletedProcess[bytes], langs: tuple[str, ...], began: float
) -> OcrResult:
    text, confidence = _parse_tsv(done.stdout.decode("utf-8", "replace"))
    return OcrResult(text, confidence, langs, time.perf_counter() - began)
