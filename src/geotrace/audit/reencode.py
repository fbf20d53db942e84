"""The one lossy path (``scrub --reencode``): decode the pixels and encode them afresh.

Only for a picture no lossless cleaner can take (a damaged JPEG, a format without one),
and only when the user asked.  Pillow decodes; the picture is turned upright first, so
the copy needs no orientation tag, and nothing but pixels is passed to the encoder
(``exif``/``icc_profile`` are given empty on purpose: some of Pillow's encoders copy what
the decoder read when they are not).  Raw files are refused: Pillow would open the small
preview a DNG carries and present it as the photo.
"""

from __future__ import annotations

import io

from geotrace.audit.cleaned import Buffer, Cleaned, Refused
from geotrace.evidence.sniff import sniff

#: What each source format is written back as: the same where geotrace can also check the
#: result with one of its cleaners (JPEG at quality 95; the others losslessly), PNG otherwise
#: (the copy's name then ends in .png).
_WRITE_AS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "TIFF": "TIFF"}
_RAW = ("image/x-adobe-dng", "image/x-canon-cr3", "image/x-olympus-orf", "image/x-panasonic-rw2")


def reencoded(buf: Buffer, name: str, why: str) -> tuple[Cleaned, str | None]:
    """A re-encoded copy, and the suffix its name must take when its format changed;
    :class:`Refused` (saying both reasons) when it cannot be made."""
    from PIL import Image, ImageOps

    fmt = sniff(bytes(buf[:64]), name)
    if fmt.kind == "video" or fmt.mime in _RAW:
        raise Refused(
            f"{why}; and it cannot be re-encoded: {fmt.mime or 'unknown'} is not a "
            "picture geotrace re-encodes"
        )
    try:
        with Image.open(io.BytesIO(bytes(buf))) as im:
            im.load()
            source = im.format or ""
            upright = ImageOps.exif_transpose(im)
    except Exception as exc:  # Pillow's decoders raise many kinds on damaged data
        raise Refused(f"{why}; and its pixels cannot be decoded to re-encode ({exc})") from exc
    target = _WRITE_AS.get(source, "PNG")
    if target == "JPEG" and upright.mode not in ("L", "RGB", "CMYK"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options: dict[str, object] = {"exif": b"", "icc_profile": None}
    if target == "JPEG":
        options["quality"] = 95
    elif target == "WEBP":
        options["lossless"] = True
    upright.save(out, target, **options)
    note = f"re-encoded as {target} (lossy: {why})"
    return Cleaned((out.getvalue(),), notes=(note,)), None if target == source else ".png"
