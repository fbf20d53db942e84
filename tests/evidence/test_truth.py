"""Every row of exiftool's ground truth, through the public ``inspect --json`` object.

Where geotrace refuses on purpose what exiftool passes on (a latitude of 213°), the row
must carry the problem that says why; nowhere may geotrace give a fix the truth lacks.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from geotrace.evidence import read_file, report_to_json
from tests.conftest import PHOTOS, require_shared

TRUTH = PHOTOS / "truth.jsonl"
ROWS = [json.loads(line) for line in TRUTH.read_text().splitlines()] if TRUTH.exists() else []
IDS = [r["path"] for r in ROWS]
DT = re.compile(r"^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def _expected_local(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """(ISO local time, offset) the truth states, subseconds included."""
    text = row["datetime_original"]
    if text is None and row["video"]:
        text = row["video"].get("creation_date")
    if text is None:
        return None, None
    m = DT.match(text)
    assert m, text
    y, mo, d, h, mi, s, frac, zone = m.groups()
    digits = (frac or "")[1:] or (row["subsec_time_original"] or "").strip()
    local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
    if digits.isdigit():
        local = local.replace(microsecond=int((digits + "000000")[:6]))
    offset = row["offset_time_original"] or ({"Z": "+00:00"}.get(zone, zone) if zone else None)
    return local.isoformat(), offset


def _expected_alt(truth: dict[str, Any]) -> float | None:
    """The truth's altitude is Composite:GPSAltitude, which exiftool builds only beside a
    GPSAltitudeRef.  Without a ref, EXIF's default applies (0, above sea level): the
    altitude is the bare GPS:GPSAltitude that exiftool's own ``-GPSAltitude`` prints."""
    if truth["alt"] is None and truth.get("alt_ref") is None:
        preferred = truth["exiftool_preferred"].get("alt")
        return float(preferred) if isinstance(preferred, int | float) else None
    return float(truth["alt"]) if truth["alt"] is not None else None


def _iso_z(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    require_shared(TRUTH)
    return {r["path"]: report_to_json(read_file(PHOTOS / r["path"])) for r in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_position(row: dict[str, Any], reports: dict[str, dict[str, Any]]) -> None:
    got = reports[row["path"]]
    truth = row["gps"] or {}
    codes = {p["code"] for p in got["problems"]}
    if truth.get("lat") is None:
        assert got["gps"] is None, "a fix where exiftool's truth has none"
        return
    if "gps_out_of_range" in row["flags"]:
        assert "gps_out_of_range" in codes  # reported as stated, flagged, never a sighting
    assert got["gps"] is not None
    assert got["gps"]["lat"] == pytest.approx(truth["lat"], abs=1e-6)
    assert got["gps"]["lon"] == pytest.approx(truth["lon"], abs=1e-6)
    alt = _expected_alt(truth)
    if alt is None:
        assert got["gps"]["alt_m"] is None
    else:
        assert got["gps"]["alt_m"] == pytest.approx(alt, abs=0.01)
    assert _iso_z(got["gps"]["utc"]) == _iso_z(truth.get("datetime_utc"))
    if truth["lat"] == 0 and truth["lon"] == 0:
        assert "gps_null_island" in codes


def _camera_reading(taken: dict[str, Any]) -> str | None:
    """The capture time as the file states it: ``local``, except on the GPS clock, where
    ``local`` is the GPS instant on the camera's zone and the camera ran ``clock_drift_s``
    ahead of it (README, "inspect --json format")."""
    local, drift = taken.get("local"), taken.get("clock_drift_s")
    if local is None or taken.get("basis") != "gps_clock" or drift is None:
        return local
    return (datetime.fromisoformat(local) + timedelta(seconds=drift)).isoformat()


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_capture_time(row: dict[str, Any], reports: dict[str, dict[str, Any]]) -> None:
    got = reports[row["path"]]["taken"] or {}
    local, offset = _expected_local(row)
    assert _camera_reading(got) == local
    if offset is not None:
        assert got["offset"] == offset
        assert got["basis"] == "offset_tag"


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_local_offset_and_utc_agree(
    row: dict[str, Any], reports: dict[str, dict[str, Any]]
) -> None:
    """Whatever the basis, local time minus its offset is the UTC instant, exactly."""
    got = reports[row["path"]]["taken"] or {}
    if got.get("local") and got.get("offset") and got.get("utc"):
        local = datetime.fromisoformat(got["local"] + got["offset"])
        assert local == _iso_z(got["utc"]), got


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_device(row: dict[str, Any], reports: dict[str, dict[str, Any]]) -> None:
    got = reports[row["path"]]
    assert got["device"]["make"] == row["make"]
    assert got["device"]["model"] == row["model"]
    assert got["device"]["serials"] == row["serial_numbers"]


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_identity(row: dict[str, Any], reports: dict[str, dict[str, Any]]) -> None:
    got = reports[row["path"]]
    assert got["sha256"] == row["sha256"]
    assert got["mime"] == row["mime_type"]
    assert got["kind"] == ("video" if "video" in row["flags"] else got["kind"])
