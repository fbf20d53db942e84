"""XMP packets: the few properties geotrace needs, read with an XML-bomb-safe parser.

XMP is attacker-controlled XML, so it goes through defusedxml (entity expansion and
external references refused) and is capped in size before parsing.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from geotrace.records import Problem

MAX_XMP_BYTES = 4 * 1024 * 1024
#: Local names of every property the reader uses; a packet holding none is not parsed.
WANTED = (b"GPS", b"DateTimeOriginal", b"SerialNumber", b"Make", b"Model")
_XMLNS = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']+)["']""")
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
#: Namespace URI -> the prefix exiftool uses for its XMP group (``XMP-<prefix>``).
PREFIXES = {
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/xap/1.0/": "xmp",
}


def parse_xmp(packet: bytes, problems: list[Problem]) -> dict[str, str]:
    """Flatten the packet to ``{"prefix:Name": first value}`` for the namespaces we know."""
    if len(packet) > MAX_XMP_BYTES:
        problems.append(Problem("xmp_too_large", f"XMP packet of {len(packet)} bytes not read"))
        return {}
    if not any(word in packet for word in WANTED):
        return {}  # most packets hold only editing history: skip the parse (a third of the time)
    start = packet.find(b"<")
    if start < 0:
        return {}
    packet = packet[start:].replace(b"\0", b"")  # NUL is never legal XML; some writers pad with it
    end = packet.rfind(b"</x:xmpmeta>")
    if end >= 0:
        packet = packet[: end + len(b"</x:xmpmeta>")]
    try:
        root = fromstring(packet)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        problems.append(Problem("xmp_invalid", f"XMP packet is not well-formed XML: {exc}"))
        return {}
    declared = {
        uri.decode("utf-8", "replace"): prefix.decode("ascii")
        for prefix, uri in _XMLNS.findall(packet[:MAX_XMP_BYTES])
    }
    out: dict[str, str] = {}
    for desc in root.iter(f"{RDF}Description"):
        for key, value in desc.attrib.items():
            name = _name(key, declared)
            if name is not None:
                out.setdefault(name, value.strip())
        for child in desc:
            name = _name(child.tag, declared)
            text = _value(child) if name is not None else None
            if name is not None and text is not None:
                out.setdefault(name, text)
    return out


def _name(tag: str, declared: dict[str, str]) -> str | None:
    """ "prefix:Local" for the properties we use; any namespace's serial numbers too
    (drones and rigs write their own, e.g. ``drone-dji:CameraSerialNumber``), under the
    prefix the packet declares, as exiftool names its group."""
    if not tag.startswith("{"):
        return None
    uri, _, local = tag[1:].partition("}")
    prefix = PREFIXES.get(uri)
    if prefix is None and "SerialNumber" in local:
        prefix = declared.get(uri)
    return f"{prefix}:{local}" if prefix else None


def _value(elem: Element) -> str | None:
    """Simple text, or the first item of an rdf:Alt/Seq/Bag."""
    for li in elem.iter(f"{RDF}li"):
        return (li.text or "").strip()
    if len(elem) == 0:
        return (elem.text or "").strip()
    return None
