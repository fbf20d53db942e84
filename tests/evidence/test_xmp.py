"""XMP sidecars and packets: the forms writers use, read as exiftool names them."""

from __future__ import annotations

import pytest

from geotrace.evidence import read_buffer
from geotrace.evidence.containers import XMP_HEADER
from tests.conftest import require_shared

DJI = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="DJI Meta Data"
    xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"
    tiff:Make="DJI" tiff:Model="FC3411"
    exif:GPSLatitude="48,0.7347N" exif:GPSLongitude="37,48.123W"
    exif:DateTimeOriginal="2023-06-08T10:15:00+03:00"
    drone-dji:DroneSerialNumber="1581F4XFB22270012345"
    drone-dji:CameraSerialNumber="53HQN4T0010ABC">
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def test_drone_sidecar_gives_position_time_and_every_serial() -> None:
    meta = read_buffer(DJI, "DJI_0001.xmp")
    assert meta.kind == "other" and meta.mime == "application/rdf+xml"
    assert meta.gps is not None and meta.gps.source == "xmp"
    assert abs(meta.gps.lat - (48 + 0.7347 / 60)) < 1e-9
    assert abs(meta.gps.lon + (37 + 48.123 / 60)) < 1e-9
    assert meta.taken is not None and meta.taken.basis == "offset_tag"
    assert meta.taken.utc is not None and meta.taken.utc.hour == 7
    assert (meta.device.make, meta.device.model) == ("DJI", "FC3411")
    assert meta.device.serials == {
        "XMP-drone-dji:DroneSerialNumber": "1581F4XFB22270012345",
        "XMP-drone-dji:CameraSerialNumber": "53HQN4T0010ABC",
    }


def test_hemisphere_letter_must_match_the_axis() -> None:
    swapped = DJI.replace(b'"48,0.7347N"', b'"48,0.7347E"')
    meta = read_buffer(swapped, "bad.xmp")
    assert meta.gps is None
    assert "xmp_gps_unreadable" in {p.code for p in meta.problems}


def test_an_xmp_encoding_expat_does_not_know_costs_the_packet_only() -> None:
    """``encoding="x-bogus"`` made expat raise LookupError, which no XMP handler caught:
    the whole file became a reader_error and its EXIF position and time were lost."""
    donor = (require_shared() / "jpeg/photoprism__ferriswheel_colorful.jpg").read_bytes()
    packet = (
        b'<?xml version="1.0" encoding="x-bogus"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Make="X"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    body = XMP_HEADER + packet
    segment = b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
    damaged = donor[:2] + segment + donor[2:]

    meta, plain = read_buffer(damaged, "bogus.jpg"), read_buffer(donor, "donor.jpg")
    codes = [p.code for p in meta.problems]
    assert "reader_error" not in codes and "xmp_invalid" in codes
    assert meta.gps == plain.gps and meta.gps is not None
    assert meta.taken == plain.taken and meta.device == plain.device


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>',  # external entity
        b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.org/p.dtd"> %p;]>',  # external DTD
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "x.gif" NDATA gif><!NOTATION gif SYSTEM "g">]>',
    ],
)
def test_entities_of_any_kind_stop_the_packet(doctype: bytes) -> None:
    """The parser that replaced defusedxml's tree keeps its refusals (and ElementTree's
    undefined-entity error): nothing of such a packet is read, and it is said."""
    packet = DJI.replace(b"<x:xmpmeta", doctype + b"<x:xmpmeta", 1).replace(
        b'tiff:Make="DJI"', b'tiff:Make="&e;"'
    )
    meta = read_buffer(packet, "entity.xmp")
    assert meta.gps is None and meta.device.make is None and meta.device.serials == {}
    assert [p.code for p in meta.problems] == ["xmp_invalid"]
