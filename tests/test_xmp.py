"""XMP sidecars and packets: the forms writers use, read as exiftool names them."""

from __future__ import annotations

from geotrace.evidence import read_buffer

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
