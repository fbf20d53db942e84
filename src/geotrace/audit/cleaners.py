"""Which lossless cleaner takes a file: chosen by its bytes (``sniff``), never its name.

Each cleaner module is imported when a file of its kind is met, so scrubbing a folder of
JPEGs loads no box walker.  A format with no cleaner is refused by name, in words: a file
nobody can clean is said so, never copied through as if it were clean.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from geotrace.audit.cleaned import KEEP_NOTHING, Buffer, Cleaned, Keep, Refused
from geotrace.evidence.sniff import Format, sniff

Cleaner = Callable[[Buffer, Keep], Cleaned]

#: container (as ``sniff`` names it) -> (module, function).  JPEG XL arrives as "bmff" with
#: mime image/jxl, a bare JXL codestream as "none": both go to the JXL cleaner.
_BY_CONTAINER = {
    "jpeg": ("geotrace.audit.jpeg", "clean_jpeg"),
    "png": ("geotrace.audit.png", "clean_png"),
    "webp": ("geotrace.audit.webp", "clean_webp"),
    "tiff": ("geotrace.audit.tiff_clean", "clean_tiff"),
    "bmff": ("geotrace.audit.heif", "clean_heif"),
    "video": ("geotrace.audit.movie", "clean_movie"),
}
_JXL = ("geotrace.audit.jxl", "clean_jxl")

#: Formats geotrace recognises but cannot clean, with the reason a user reads.
_NO_CLEANER = {
    "image/gif": "GIF is not cleaned yet: its comment and XMP blocks would stay",
    "image/x-fujifilm-raf": "a raw file keeps the camera model and maker notes its decoder needs",
    "image/x-exv": "an Exiv2 sidecar is nothing but metadata: delete it instead",
    "application/rdf+xml": "an XMP sidecar is nothing but metadata: delete it instead",
    "audio/mp4": "audio files are not cleaned",
}


def cleaner_for(fmt: Format) -> Cleaner:
    """The cleaner of a sniffed format, or :class:`Refused` saying why there is none."""
    if fmt.mime == "image/jxl":
        module, name = _JXL
    elif fmt.mime == "image/tiff":  # BigTIFF too: the TIFF cleaner says why it refuses one
        module, name = _BY_CONTAINER["tiff"]
    elif fmt.mime in _NO_CLEANER:
        raise Refused(_NO_CLEANER[fmt.mime])
    elif fmt.container in _BY_CONTAINER:
        module, name = _BY_CONTAINER[fmt.container]
    else:
        what = fmt.mime or "an unknown format"
        raise Refused(f"{what} is not a picture or video format geotrace can clean")
    cleaner: Cleaner = getattr(import_module(module), name)
    return cleaner


def clean(buf: Buffer, name: str = "", keep: Keep = KEEP_NOTHING) -> Cleaned:
    """The cleaned pieces of one file's bytes; :class:`Refused` when it cannot be done
    without re-encoding.  A cleaner's own failure is a refusal too: one hostile file must
    cost that file, not the batch."""
    fmt = sniff(bytes(buf[:64]), name)
    cleaner = cleaner_for(fmt)
    try:
        return cleaner(buf, keep)
    except Refused:
        raise
    except Exception as exc:  # the cleaners are bounded; this is the last line of defence
        raise Refused(f"the {fmt.mime or 'file'} structure could not be walked ({exc})") from exc
