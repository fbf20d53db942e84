"""XMP packets: the few properties geotrace needs, read from expat's events, XML-bomb safe.

XMP is attacker-controlled XML, so it is capped in size before parsing and parsed by expat
with the very handlers defusedxml installs by default (``forbid_entities`` and
``forbid_external``): any entity declaration and any external reference stop the parse
with defusedxml's own exceptions, and an undefined entity is an error, as in ElementTree.
The values are taken from the events as they come, where defusedxml would first build a
tree with the pure-Python ElementTree parser (two thirds of an XMP read, for the handful
of properties used; ``bench/metadata.py`` times the whole reader).
"""

from __future__ import annotations

import re
from xml.parsers import expat

from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

from geotrace.records import Problem

MAX_XMP_BYTES = 4 * 1024 * 1024
#: Local names of every property the reader uses; a packet holding none is not parsed.
WANTED = (b"GPS", b"DateTimeOriginal", b"SerialNumber", b"Make", b"Model")
_XMLNS = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']+)["']""")
#: expat joins a namespace URI and a local name with this (ElementTree's choice too).
SEP = "}"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DESCRIPTION, LI = f"{RDF}{SEP}Description", f"{RDF}{SEP}li"
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
    events = _Events(packet)
    try:
        events.parse()
    except expat.ExpatError as exc:
        if events.closed_at is None:
            problems.append(Problem("xmp_invalid", f"XMP packet is not well-formed XML: {exc}"))
            return {}
        # A packet rewritten in place by a shorter one leaves the old one's tail behind it
        # (a .NET writer's PNG in metadata-extractor-dotnet issue 356): the document is
        # whole, as exiftool reads it; the leftover is said, not read.
        problems.append(
            Problem(
                "xmp_trailing_data",
                f"XMP packet ends at byte {events.closed_at}; the bytes after it are not "
                f"XML ({exc}) and were ignored",
            )
        )
    except (ValueError, LookupError) as exc:  # defusedxml's: ValueErrors;
        # LookupError: an encoding expat does not know (it cost the whole file before)
        problems.append(Problem("xmp_invalid", f"XMP packet is not well-formed XML: {exc}"))
        return {}
    out: dict[str, str] = {}
    for properties in events.descriptions:
        for name, value in properties:
            out.setdefault(name, value)
    return out


class _Open:
    """An element whose end tag has not come yet, with what the reader needs of it."""

    __slots__ = ("has_child", "li", "name", "owner", "parts", "text")

    def __init__(self, owner: list[tuple[str, str]] | None, name: str | None) -> None:
        self.owner = owner  # the rdf:Description's list this property's value goes to
        self.name = name
        self.has_child = False
        self.li: _Open | None = None  # the first rdf:li inside, if any
        self.parts: list[str] | None = [] if name is not None else None
        self.text = ""  # its character data before its first child (ElementTree's .text)


class _Events:
    """One packet's expat events, reduced to what the reader takes from an ElementTree:
    for each rdf:Description in document order (nested ones too), its attributes, then
    for each child property its value, the first rdf:li's text, else its own text when it
    has no children."""

    def __init__(self, packet: bytes) -> None:
        self.packet = packet
        self.descriptions: list[list[tuple[str, str]]] = []
        self._stack: list[_Open | list[tuple[str, str]]] = []
        self._waiting: list[_Open] = []  # properties whose first rdf:li has not come yet
        self._declared: dict[str, str] | None = None
        self._parser: expat.XMLParserType | None = None
        self.closed_at: int | None = None  # byte index of the root element's end tag

    def parse(self) -> None:
        parser = self._parser = expat.ParserCreate(None, SEP)
        parser.buffer_text = True
        parser.ordered_attributes = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data
        parser.DefaultHandlerExpand = self._default
        parser.EntityDeclHandler = _entity_declared
        parser.UnparsedEntityDeclHandler = _unparsed_entity_declared
        parser.ExternalEntityRefHandler = _external_reference
        parser.Parse(self.packet, False)
        parser.Parse(b"", True)

    def _start(self, tag: str, attributes: list[str]) -> None:
        stack = self._stack
        parent = stack[-1] if stack else None
        if isinstance(parent, _Open) and not parent.has_child:
            parent.has_child = True
            if parent.parts is not None:
                parent.text, parent.parts = "".join(parent.parts), None
        if tag == DESCRIPTION:
            properties = []
            for i in range(0, len(attributes), 2):
                name = self._name(attributes[i])
                if name is not None:
                    properties.append((name, attributes[i + 1].strip()))
            self.descriptions.append(properties)
            stack.append(properties)
            return
        if isinstance(parent, list):  # a property of that rdf:Description
            node = _Open(parent, self._name(tag))
            if node.name is not None:
                self._waiting.append(node)
        else:
            node = _Open(None, None)
        if tag == LI and self._waiting:
            node.parts = []
            for prop in self._waiting:
                prop.li = node
            self._waiting.clear()
        stack.append(node)

    def _end(self, tag: str) -> None:
        node = self._stack.pop()
        if not self._stack and self._parser is not None:
            self.closed_at = self._parser.CurrentByteIndex
        if not isinstance(node, _Open):
            return
        if node.parts is not None:
            node.text, node.parts = "".join(node.parts), None
        if node.owner is None or node.name is None:
            return
        if self._waiting and self._waiting[-1] is node:
            self._waiting.pop()
        if node.li is not None:
            node.owner.append((node.name, node.li.text.strip()))
        elif not node.has_child:
            node.owner.append((node.name, node.text.strip()))

    def _data(self, text: str) -> None:
        node = self._stack[-1]
        if isinstance(node, _Open) and node.parts is not None:
            node.parts.append(text)

    def _default(self, text: str) -> None:
        """ElementTree's rule: an entity reference expat could not expand is an error."""
        if text[:1] == "&" and self._parser is not None:
            line, column = self._parser.ErrorLineNumber, self._parser.ErrorColumnNumber
            raise expat.error(f"undefined entity {text}: line {line}, column {column}")

    def _name(self, tag: str) -> str | None:
        """ "prefix:Local" for the properties we use; any namespace's serial numbers too
        (drones and rigs write their own, e.g. ``drone-dji:CameraSerialNumber``), under the
        prefix the packet declares, as exiftool names its group."""
        uri, sep, local = tag.partition(SEP)
        if not sep:
            return None
        prefix = PREFIXES.get(uri)
        if prefix is None and "SerialNumber" in local:
            prefix = self._declarations().get(uri)
        return f"{prefix}:{local}" if prefix else None

    def _declarations(self) -> dict[str, str]:
        if self._declared is None:
            self._declared = {
                uri.decode("utf-8", "replace"): prefix.decode("ascii")
                for prefix, uri in _XMLNS.findall(self.packet)
            }
        return self._declared


# defusedxml's handlers (its DefusedXMLParser), raising its exceptions.
def _entity_declared(
    name: str,
    is_parameter_entity: bool,
    value: str | None,
    base: str | None,
    sysid: str | None,
    pubid: str | None,
    notation_name: str | None,
) -> None:
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation_name)


def _unparsed_entity_declared(
    name: str, base: str | None, sysid: str, pubid: str | None, notation_name: str
) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation_name)


def _external_reference(
    context: str, base: str | None, sysid: str | None, pubid: str | None
) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)
