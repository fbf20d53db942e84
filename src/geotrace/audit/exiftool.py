"""Read a cleaned file back with exiftool, when it is installed, and sort what is left.

geotrace's own reader checks every cleaned file; exiftool is the second opinion users
already trust, and it knows thousands of tags geotrace does not read.  It is optional: an
external Perl program (GPL/Artistic), found at run time, never imported or shipped.

One exiftool process reads many files (``-@`` argument file: no command-line limit, odd
names intact), because starting Perl costs ~0.2 s and a batch has thousands of files.
Every tag exiftool returns is a residual unless the small, explicit allow-list below says
it only describes the structure a decoder needs (image size, codec configuration, track
layout): a tag nobody has classified counts as left behind, not as harmless.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from geotrace.audit.cleaned import Keep

#: exiftool 12 is the oldest with the -G0:1/-ee/-json behaviour relied on here (Debian 12
#: ships 12.57); 13 is needed to *write* WebP, which the read-back does not do.
MIN_VERSION = 12.0
#: Files per exiftool run: a run that hangs costs one chunk, not the whole batch.
CHUNK = 500
MAX_VALUE = 80  # characters of a value kept in a residual
NOTHING_KEPT = Keep()

ResidualCategory = Literal[
    "gps",
    "serial",
    "owner",
    "make_model",
    "time",
    "thumbnail",
    "xmp",
    "iptc",
    "makernotes",
    "keys_user_data",
    "icc",
    "software",
    "comment",
    "other_identifying",
    "other",  # a tag outside the allow-list that no rule names: left behind all the same
    "exiftool_error",  # exiftool could not read the file (or did not run): not verified
]


@dataclass(frozen=True, slots=True)
class ExifTool:
    """An exiftool found on this machine and the version it reported."""

    path: str
    version: str


@dataclass(frozen=True, slots=True)
class Residual:
    """One tag exiftool still reads in a cleaned file."""

    category: ResidualCategory
    tag: str  # "Group:Name" with exiftool's family-1 group ("IFD0:Make", "Keys:Model")
    value: str  # shortened to MAX_VALUE characters


def probe_exiftool(env: Mapping[str, str] | None = None) -> ExifTool | str:
    """The exiftool to use (``$GEOTRACE_EXIFTOOL``, else ``exiftool`` on PATH), or a
    sentence saying why there is none."""
    env = os.environ if env is None else env
    wanted = env.get("GEOTRACE_EXIFTOOL") or "exiftool"
    path = shutil.which(wanted, path=env.get("PATH"))
    if path is None:
        return f"exiftool was not found ({wanted}); install it to double-check cleaned files"
    try:
        done = subprocess.run(
            [path, "-ver"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"exiftool at {path} did not run: {exc}"
    version = done.stdout.strip()
    try:
        number = float(version)
    except ValueError:
        return f"exiftool at {path} did not report a version (got {version[:40]!r})"
    if number < MIN_VERSION:
        return f"exiftool {version} at {path} is older than {MIN_VERSION:g}; please update it"
    return ExifTool(path, version)


def find_exiftool() -> ExifTool | None:
    """The usable exiftool, or None (``probe_exiftool`` says why)."""
    found = probe_exiftool()
    return found if isinstance(found, ExifTool) else None


def exiftool_error(path: Path, message: str) -> Residual:
    """The residual that stands for "exiftool could not check this file"."""
    return Residual("exiftool_error", "ExifTool:Error", _short(f"{message} ({path.name})"))


def read_back(
    tool: ExifTool, paths: Sequence[Path], timeout: float = 120.0, keep: Keep = NOTHING_KEPT
) -> dict[Path, list[Residual]]:
    """What exiftool reads in each of ``paths``, sorted into residuals; every path gets
    an entry, and a file exiftool could not read gets an ``exiftool_error`` residual.

    ``timeout`` is per exiftool run of up to CHUNK files; ``keep`` is what the user chose
    to keep, so that the orientation and ICC profile kept on purpose are not residuals.
    """
    result: dict[Path, list[Residual]] = {}
    for start in range(0, len(paths), CHUNK):
        result.update(_run(tool, paths[start : start + CHUNK], timeout, keep))
    return result


def _run(
    tool: ExifTool, paths: Sequence[Path], timeout: float, keep: Keep
) -> dict[Path, list[Residual]]:
    result: dict[Path, list[Residual]] = {}
    by_name: dict[str, list[Path]] = {}
    for path in paths:
        name = os.path.abspath(path)
        if "\n" in name or "\r" in name:
            result[path] = [exiftool_error(path, "a line break in the file name")]
        else:
            by_name.setdefault(_key(name), []).append(path)
    if not by_name:
        return result
    with tempfile.NamedTemporaryFile("wb", suffix=".args") as args:
        for key_paths in by_name.values():
            for path in key_paths:
                args.write(os.fsencode(os.path.abspath(path)) + b"\n")
        args.flush()
        command = [tool.path, "-json", "-a", "-G0:1", "-ee", "-n"]
        command += ["-charset", "filename=UTF8", "-@", args.name]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
            records = json.loads(done.stdout or b"[]")
            if not isinstance(records, list):
                raise ValueError("not a list")
        except subprocess.TimeoutExpired:
            return _all_failed(result, by_name, f"exiftool took longer than {timeout:g} s")
        except (OSError, subprocess.SubprocessError) as exc:
            return _all_failed(result, by_name, f"exiftool did not run: {exc}")
        except (ValueError, RecursionError) as exc:
            return _all_failed(result, by_name, f"exiftool's output was not JSON: {exc}")
    for record in records:
        if not isinstance(record, dict):
            continue
        waiting = by_name.get(_key(str(record.get("SourceFile", ""))))
        if waiting:
            result[waiting.pop(0)] = classify(record, keep)
    errors = _stderr_errors(done.stderr)
    for key, left in by_name.items():
        for path in left:
            result[path] = [exiftool_error(path, errors.get(key, "exiftool returned nothing"))]
    return result


def _all_failed(
    result: dict[Path, list[Residual]], by_name: dict[str, list[Path]], message: str
) -> dict[Path, list[Residual]]:
    for left in by_name.values():
        for path in left:
            result[path] = [exiftool_error(path, message)]
    return result


def _key(name: str) -> str:
    """A file name as exiftool's JSON spells it: bytes that are not UTF-8 become '?'."""
    return os.fsencode(name).decode("utf-8", "replace").replace("\ufffd", "?")


_STDERR_ERROR = re.compile(rb"^Error: (.*?) - (.*)$", re.MULTILINE)


def _stderr_errors(stderr: bytes) -> dict[str, str]:
    """exiftool's "Error: File not found - NAME" lines, by name."""
    return {
        _key(os.fsdecode(m.group(2))): m.group(1).decode("utf-8", "replace")
        for m in _STDERR_ERROR.finditer(stderr or b"")
    }


# --- the classifier ---------------------------------------------------------------------


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: The allow-list: tags that describe only how to decode the picture or the streams, by
#: exiftool family-0 group.  Everything else exiftool returns is a residual.
STRUCTURAL: dict[str, frozenset[str]] = {
    "EXIF": _names(  # the TIFF layout tags, as geotrace's TIFF cleaner keeps them
        "SubfileType OldSubfileType ImageWidth ImageHeight BitsPerSample Compression "
        "PhotometricInterpretation FillOrder StripOffsets SamplesPerPixel RowsPerStrip "
        "StripByteCounts XResolution YResolution PlanarConfiguration T4Options T6Options "
        "ResolutionUnit TransferFunction Predictor WhitePoint PrimaryChromaticities ColorMap "
        "TileWidth TileLength TileOffsets TileByteCounts InkSet NumberOfInks ExtraSamples "
        "SampleFormat SMinSampleValue SMaxSampleValue JPEGTables YCbCrCoefficients "
        "YCbCrSubSampling YCbCrPositioning ReferenceBlackWhite"
    ),
    "JFIF": _names("JFIFVersion ResolutionUnit XResolution YResolution"),
    "APP14": _names("DCTEncodeVersion APP14Flags0 APP14Flags1 ColorTransform"),
    "PNG": _names(
        "ImageWidth ImageHeight BitDepth ColorType Compression Filter Interlace Gamma "
        "SRGBRendering BackgroundColor PixelsPerUnitX PixelsPerUnitY PixelUnits WhitePointX "
        "WhitePointY RedX RedY GreenX GreenY BlueX BlueY SignificantBits Transparency "
        "Palette AnimationFrames AnimationPlays"
    ),
    "RIFF": _names(
        "ImageWidth ImageHeight VP8Version HorizontalScale VerticalScale WebP_Flags "
        "AlphaCompression AlphaFiltering AlphaPreprocessing BackgroundColor AnimationLoopCount"
    ),
    "Jpeg2000": _names("MajorBrand MinorVersion CompatibleBrands"),
    "QuickTime": _names(
        # file type, movie and track headers, sample descriptions
        "MajorBrand MinorVersion CompatibleBrands MovieHeaderVersion TimeScale Duration "
        "PreferredRate PreferredVolume PreviewTime PreviewDuration PosterTime SelectionTime "
        "SelectionDuration CurrentTime NextTrackID TrackHeaderVersion TrackID TrackDuration "
        "TrackLayer TrackVolume MatrixStructure ImageWidth ImageHeight SourceImageWidth "
        "SourceImageHeight XResolution YResolution BitDepth CompressorID VideoFrameRate "
        "GraphicsMode OpColor MediaHeaderVersion MediaTimeScale MediaDuration "
        "MediaLanguageCode HandlerClass HandlerType AudioFormat AudioChannels "
        "AudioBitsPerSample AudioSampleRate Balance MediaDataSize MediaDataOffset "
        "PixelAspectRatio CleanApertureDimensions ProductionApertureDimensions "
        "EncodedPixelsDimensions ColorProfiles ColorPrimaries TransferCharacteristics "
        "MatrixCoefficients VideoFullRangeFlag Rotation LayoutFlags PurchaseFileFormat "
        "GenMediaVersion GenFlags GenGraphicsMode GenOpColor GenBalance MetaFormat "
        "ContentDescribes SampleTime SampleDuration PreviewVersion PreviewAtomType "
        "PreviewAtomIndex "
        # interlacing (fiel), bit rates (btrt), clean aperture (clap), the reference to a
        # timecode track (tref tmcd; the track itself is blanked by the cleaner)
        "VideoFieldOrder BufferSize MaxBitrate AverageBitrate CleanAperture TimeCode "
        # HEVC and AV1 decoder configuration
        "HEVCConfigurationVersion GeneralProfileSpace GeneralTierFlag GeneralProfileIDC "
        "GenProfileCompatibilityFlags ConstraintIndicatorFlags GeneralLevelIDC "
        "MinSpatialSegmentationIDC ParallelismType ChromaFormat BitDepthLuma BitDepthChroma "
        "AverageFrameRate ConstantFrameRate NumTemporalLayers TemporalIDNested "
        "AV1ConfigurationVersion SeqProfile SeqLevelIdx0 SeqTier0 HighBitDepth TwelveBit "
        "ChromaSubsamplingX ChromaSubsamplingY ChromaSamplePosition "
        # HEIF item structure; AuxiliaryImageType (auxC) tells the decoder what an auxiliary
        # image is (alpha, depth, an HDR gain map): without it the image is misread
        "PrimaryItemReference MetaImageSize ImageSpatialExtent ImagePixelDepth "
        "AuxiliaryImageType"
    ),
}
#: Family-0 groups about the file rather than its contents, and exiftool's own notes.
IGNORED_GROUPS = frozenset({"File", "ExifTool", "Composite"})
#: Handler and compressor names that say only what a track holds, not who wrote it.
GENERIC_NAMES = frozenset(
    {
        "",
        "videohandler",
        "soundhandler",
        "datahandler",
        "metahandler",
        "texthandler",
        "hinthandler",
        "videohandle",  # ffmpeg's, cut to 11 characters by some writers
        "soundhandle",
        "h.264",
        "h.265",
        "hevc",
        "av1",
        "photo - jpeg",
        "mpeg-4 video",
    }
)
#: QuickTime user metadata (family-1 groups).
USER_DATA_GROUPS = frozenset({"Keys", "ItemList", "UserData", "VideoKeys", "AudioKeys"})
#: Family-0 groups that are a metadata block, and their category.
BLOCK_GROUPS: dict[str, ResidualCategory] = {
    "XMP": "xmp",
    "IPTC": "iptc",
    "Photoshop": "iptc",
    "MakerNotes": "makernotes",
    "MPF": "thumbnail",
    "FlashPix": "makernotes",
    "PrintIM": "makernotes",
    "PLIST": "makernotes",
}

_LANG = re.compile(r"-[a-z]{3}(-[A-Z]{2})?$")  # QuickTime's "-eng-US" suffix
_GPS = re.compile(r"^GPS|Latitude|Longitude|Coordinates|Location|ISO6709")
_PLACES = frozenset({"City", "Country", "State", "Province-State", "Sub-location"})
_OWNER = _names(
    "Artist OwnerName CameraOwnerName Copyright CopyrightNotice CopyrightOwner Author "
    "Creator By-line By-lineTitle XPAuthor Rights Credit ImageCreator CaptionWriter "
    "Writer-Editor AuthorsPosition Licensor AlbumArtist Composer"
)
_SOFTWARE = _names(
    "Encoder CreatorTool Producer CreatingApplication Application AppVersion "
    "OriginatingProgram ProgramVersion AndroidVersion EncoderVersion XMPToolkit "
    "ProductVersion ProductBuildVersion HostComputer"
)
_NAMED_CODE = frozenset({"HandlerDescription", "CompressorName"})  # generic, or software
_VENDOR_IDS = frozenset({"HandlerVendorID", "EncoderVendor", "VendorID"})
_TIME = re.compile(r"Date|Time(Stamp|Created|Original|Digitized|Zone)?$|^(OffsetTime|SubSecTime)")
_NOT_TIME = re.compile(r"Exposure|Duration|Integra|Shutter|Scale|Since")
_DATE_VALUE = re.compile(r"\d{4}[:\-/]\d\d[:\-/]\d\d|\d\d:\d\d")
_MAKE_MODEL = re.compile(r"(Make|Model|Manufacturer|ModelName|DeviceName)$")
_THUMBNAIL = re.compile(
    r"Thumbnail|PreviewImage|JpgFromRaw|OtherImage|ScreenNail|MPImage|CoverArt|PreviewPNG"
)
_COMMENT = _names(
    "Comment UserComment ImageDescription Description Caption-Abstract XPComment XPTitle "
    "XPSubject XPKeywords Title Headline Keywords Subject Information Lyrics DocumentName "
    "PageName"
)
_IDENTIFYING = re.compile(r"Identifier|UniqueID|DocumentID|InstanceID|RegistryID|ImageNumber$")


def classify(record: Mapping[str, object], keep: Keep = NOTHING_KEPT) -> list[Residual]:
    """Residuals in one exiftool ``-json -G0:1`` record (one object of its output)."""
    found: list[Residual] = []
    for key, raw in record.items():
        parts = key.split(":")
        if len(parts) == 2:
            parts.insert(1, parts[0])  # exiftool writes "File:FileType" when G0 == G1
        if len(parts) != 3:
            continue  # SourceFile
        group0, group1, name = parts
        value = _text(raw)
        tag = f"{group1}:{name}"
        found.extend(
            Residual(category, tag, _short(value))
            for category in _categories(group0, group1, _LANG.sub("", name), value, keep)
        )
    return found


def _categories(
    group0: str, group1: str, name: str, value: str, keep: Keep
) -> list[ResidualCategory]:
    """Up to two categories: what the tag says (gps, time...) and the block it is in
    (xmp, makernotes...); nothing for structure; "other" when no rule names it."""
    if group0 in IGNORED_GROUPS:
        if group0 == "ExifTool" and name == "Error":
            return ["exiftool_error"]
        return ["comment"] if group0 == "File" and name == "Comment" else []
    if name == "Orientation" and keep.orientation:
        return []
    if group0 == "ICC_Profile":
        if keep.icc:
            return []
        return ["time", "icc"] if name == "ProfileDateTime" and _nonzero(value) else ["icc"]
    block: ResidualCategory | None = BLOCK_GROUPS.get(group0)
    if group0 == "QuickTime" and group1 in USER_DATA_GROUPS:
        block = "keys_user_data"
    elif group0.startswith("APP") and group0 != "APP14":
        block = "makernotes"  # a vendor's own JPEG segment (FLIR, GoPro, DJI, InfiRay)
    content = _content(name, value)
    if block is None and content is None and name in STRUCTURAL.get(group0, ()):
        return []
    if content == "structure":
        content = None
        if block is None:
            return []
    cats: list[ResidualCategory] = [c for c in (content, block) if c is not None]
    return cats or ["other"]


def _content(name: str, value: str) -> ResidualCategory | Literal["structure"] | None:
    """What a tag says, from its name (and value for times, handlers and vendor codes)."""
    if _GPS.search(name) or name in _PLACES:
        return "gps"
    if "Serial" in name:
        return "serial"
    if "Software" in name or "Firmware" in name or name in _SOFTWARE:
        # a zeroed field (3GPP's encoder version after a clean) names nothing
        return "software" if value.strip("\0 0") else "structure"
    if name in _OWNER:
        return "owner"
    if _TIME.search(name) and not _NOT_TIME.search(name):
        if not _nonzero(value):
            return "structure"  # an empty date (QuickTime's 0000:00:00 00:00:00)
        if _looks_like_time(name, value):
            return "time"
    if name in _VENDOR_IDS:
        return "make_model" if value.strip("\0 0") else "structure"
    if name in _NAMED_CODE:
        return "structure" if value.strip().lower() in GENERIC_NAMES else "software"
    if _MAKE_MODEL.search(name):
        return "make_model"
    if _THUMBNAIL.search(name):
        return "thumbnail"
    if name in _COMMENT:
        return "comment"
    if _IDENTIFYING.search(name):
        return "other_identifying"
    return None


def _looks_like_time(name: str, value: str) -> bool:
    """A date or clock time, a sub-second or zone part, or a large number (epoch)."""
    if _DATE_VALUE.search(value) or "Date" in name or name.startswith(("SubSec", "Offset")):
        return True
    return value.isascii() and value.isdigit() and int(value) >= 10**8


def _nonzero(value: str) -> bool:
    return any(c in "123456789" for c in value)


def _text(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        return ", ".join(_text(item) for item in raw)
    return json.dumps(raw, ensure_ascii=False)


def _short(text: str) -> str:
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
