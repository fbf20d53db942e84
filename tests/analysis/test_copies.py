"""Copies of a picture across a case: a real Telegram export, loose originals, hostile files."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from geotrace.store.case import Case
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
TELEGRAM_2020 = EXPORTS / "telegram_desktop_json" / "chm_telegram_2020-01.result.json"
JPEG = SHARED / "corpora" / "photos" / "jpeg"
ORIGINAL = JPEG / "exifpy__DSCN0021.jpg"  # Nikon, GPS in Tuscany, capture time
OTHER_SHOT = JPEG / "exifpy__DSCN0040.jpg"  # same camera and place, another photo


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _as_posted(path: Path) -> bytes:
    """What a platform serves: resized, re-encoded, metadata stripped."""
    with Image.open(path) as im:
        return _jpeg(im.resize((480, 360), Image.Resampling.LANCZOS), 80)


def _captioned(source: Path | bytes, caption: str = "LOOK WHAT THEY LEFT BEHIND") -> bytes:
    """The picture under a meme-style caption band, re-encoded."""
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
        w, h = im.size
        canvas = Image.new("RGB", (w, h + h // 4), "white")
        canvas.paste(im, (0, h // 4))
        ImageDraw.Draw(canvas).text((10, 10), caption, fill="black")
        return _jpeg(canvas, 75)


@pytest.fixture
def telegram_case(tmp_path: Path) -> tuple[Path, Path]:
    """The 2020-01 Telegram Desktop export byte for byte, with the two photos its
    messages 4721 and 4725 name put in place (the sample ships without its files), and
    the camera original loose beside it with another shot from the same camera."""
    require_shared(TELEGRAM_2020)
    export = tmp_path / "export"
    (export / "chats" / "chat_01").mkdir(parents=True)
    shutil.copyfile(TELEGRAM_2020, export / "result.json")
    (export / "chats" / "chat_01" / "group_photo_1.jpg").write_bytes(_as_posted(ORIGINAL))
    (export / "chats" / "chat_01" / "group_photo_2.jpg").write_bytes(_captioned(ORIGINAL))
    loose = tmp_path / "camera"
    loose.mkdir()
    shutil.copyfile(ORIGINAL, loose / ORIGINAL.name)
    shutil.copyfile(OTHER_SHOT, loose / OTHER_SHOT.name)
    case = tmp_path / "t.case"
    summary = api.ingest([export, loose], case)
    assert summary.fingerprint_failed == 0
    return case, tmp_path


def test_a_picture_posted_twice_in_a_real_export_is_traced_to_its_camera_original(
    telegram_case: tuple[Path, Path],
) -> None:
    case, _ = telegram_case
    found = api.copies(case)
    assert len(found) == 1
    group = found[0]
    paths = {Path(p).name for m in group["members"] for p in m["paths"]}
    assert paths == {"group_photo_1.jpg", "group_photo_2.jpg", ORIGINAL.name}
    # The camera's own time (2008) is years before the posts: it is the first appearance.
    first = group["first"]
    assert first["kind"] == "capture" and first["at_utc"].startswith("2008-")
    posts = [a for a in group["appearances"] if a["kind"] == "post"]
    assert [p["post_id"].rsplit("/", 1)[1] for p in posts] == ["4721", "4725"]
    # Both posts are read off the exporter's wall clock (offset inferred, +-1 h each):
    # the 14 s between them is exact, and said to be.
    assert posts[0]["time_basis"] == "exporter_offset_inferred"
    assert posts[1]["after_first_s"] - posts[0]["after_first_s"] == 14.0
    # Only the camera original kept its position, camera and capture time.
    original = next(m["sha256"] for m in group["members"] if m["paths"][0].endswith(ORIGINAL.name))
    assert group["metadata_kept_by"]["gps"] == [original]
    assert group["metadata_kept_by"]["camera"] == [original]
    # The captioned copy was matched through its content box, not its whole frame.
    captioned = next(
        m["sha256"] for m in group["members"] if m["paths"][0].endswith("group_photo_2.jpg")
    )
    touching = [e for e in group["edges"] if captioned in (e["a"], e["b"])]
    assert touching and any("content" in json.dumps(e) for e in touching)


def test_one_picture_and_an_outside_picture_find_the_same_group(
    telegram_case: tuple[Path, Path], tmp_path: Path
) -> None:
    case, root = telegram_case
    (whole,) = api.copies(case)
    (mine,) = api.copies(case, str(root / "camera" / ORIGINAL.name))
    assert {m["sha256"] for m in mine["members"]} == {m["sha256"] for m in whole["members"]}
    # A mirrored screenshot-like copy found outside the case.
    with Image.open(ORIGINAL) as im:
        outside = tmp_path / "seen_elsewhere.jpg"
        outside.write_bytes(_jpeg(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 70))
    (theirs,) = api.copies(case, of=outside)
    assert theirs["members"][0]["outside"] is True
    assert {m["sha256"] for m in theirs["members"][1:]} == {m["sha256"] for m in whole["members"]}
    # Each hash match is checked; the edge keeps what the hash saw and what the check did.
    mine = [e for e in theirs["edges"] if e["a"] == "outside"]
    assert all(e["method"] == "local_features" for e in mine)
    turns = {e["hash"].get("dihedral") for e in mine if "hash" in e}
    assert "a is the other mirrored left-right" in turns
    assert any(e["relation"] == "copy" and e["mirrored"] for e in mine)
    # Turned a quarter counter-clockwise (Pillow's ROTATE_90), and said so.
    with Image.open(ORIGINAL) as im:
        outside.write_bytes(_jpeg(im.transpose(Image.Transpose.ROTATE_90), 70))
    (turned,) = api.copies(case, of=outside)
    turns = {e["hash"].get("dihedral") for e in turned["edges"] if "hash" in e}
    assert "a is the other rotated 90° counter-clockwise" in turns
    # Another shot from the same camera is not a copy of anything.
    assert api.copies(case, str(root / "camera" / OTHER_SHOT.name)) == []


def test_the_cli_prints_the_group_in_time_order(telegram_case: tuple[Path, Path]) -> None:
    case, _ = telegram_case
    result = CliRunner().invoke(app, ["copies", "--case", str(case)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "group 1: 3 files" in text
    assert text.index("capture time") < text.index("/4721") < text.index("/4725")
    jsonl = CliRunner().invoke(app, ["copies", "--case", str(case), "--format", "jsonl"])
    assert len(jsonl.stdout.splitlines()) == 1
    unknown = CliRunner().invoke(app, ["copies", "--case", str(case), "no-such-picture.jpg"])
    assert unknown.exit_code == 2 and "neither a sha256 nor a path" in unknown.output


def test_a_corrupt_picture_in_the_middle_of_a_batch_costs_only_itself(tmp_path: Path) -> None:
    """Forty pictures, the twentieth cut off after its headers: it gets a problem record
    with its path and reason, the 39 others their fingerprints, and a second run redoes
    nothing."""
    require_shared(JPEG)
    folder = tmp_path / "in"
    folder.mkdir()
    with Image.open(ORIGINAL) as im:
        base = im.convert("RGB").resize((320, 240))
    for n in range(40):
        if n == 19:
            (folder / f"p{n:02d}.jpg").write_bytes(ORIGINAL.read_bytes()[:6000])
            continue
        # Distinct pictures: each a differently rotated and coloured crop.
        tile = base.rotate(n * 9, expand=False).crop((n % 7, n % 5, 300, 220))
        (folder / f"p{n:02d}.jpg").write_bytes(_jpeg(tile.point(lambda v, n=n: (v + n * 5) % 256)))
    case = tmp_path / "c.case"
    summary = api.ingest([folder], case)
    assert summary.fingerprinted == 40 and summary.fingerprint_failed == 1
    with Case(case) as opened:
        (error,) = opened.db.execute(
            "SELECT f.error FROM fingerprints f JOIN sources s ON s.sha256 = f.sha256"
            " WHERE s.path LIKE '%p19.jpg'"
        ).fetchone()
        assert "truncated" in error.lower() or "broken" in error.lower()
        regions = opened.db.execute(
            "SELECT count(DISTINCT sha256) FROM fingerprint_regions"
        ).fetchone()[0]
        assert regions == 39
        (where,) = opened.db.execute(
            "SELECT path FROM problems WHERE code = 'fingerprint_failed'"
        ).fetchone()
        assert where.endswith("p19.jpg")
    again = api.ingest([folder], case)
    assert again.fingerprinted == 0


def test_a_forward_brings_the_channel_it_came_from_into_the_group(tmp_path: Path) -> None:
    """A group chat's message forwards a channel's photo (mirrored and captioned on the
    way); the camera original is in the case too.  The group holds both files, and its
    appearances add the channel's original post as the forward describes it: named, but
    without a time, so listed and never ranked."""
    require_shared(JPEG)
    export = tmp_path / "export"
    (export / "photos").mkdir(parents=True)
    with Image.open(ORIGINAL) as im:
        mirrored = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        buf = io.BytesIO()
        mirrored.save(buf, "JPEG", quality=80)
    forwarded = _captioned(buf.getvalue(), "FORWARDED FROM THE FRONT")
    (export / "photos" / "photo_20.jpg").write_bytes(forwarded)
    chat = {
        "name": "Group G",
        "type": "private_supergroup",
        "id": 555,
        "messages": [
            {
                "id": 20,
                "type": "message",
                "date": "2022-03-02T13:00:00",
                "date_unixtime": "1646215200",
                "from": "Ivan",
                "from_id": "user42",
                "forwarded_from": "Channel C",
                "forwarded_from_id": "channel123",
                "photo": "photos/photo_20.jpg",
                "width": 640,
                "height": 600,
                "text": "look",
                "text_entities": [{"type": "plain", "text": "look"}],
            }
        ],
    }
    (export / "result.json").write_text(json.dumps(chat), encoding="utf-8")
    camera = tmp_path / "camera"
    camera.mkdir()
    shutil.copyfile(ORIGINAL, camera / ORIGINAL.name)
    case = tmp_path / "f.case"
    api.ingest([export, camera], case)
    (group,) = api.copies(case)
    assert len(group["members"]) == 2
    post = next(a for a in group["appearances"] if a["via"] == "file" and a["kind"] == "post")
    assert post["at_utc"] == "2022-03-02T10:00:00Z" and post["time_uncertainty_s"] == 0.0
    (origin,) = [a for a in group["appearances"] if a["via"].startswith("forward_of")]
    assert origin["account"] == "telegram:channel123" and origin["account_name"] == "Channel C"
    assert origin["at_utc"] is None and origin["after_first_s"] is None
    mirror = [e for e in group["edges"] if "mirror" in json.dumps(e)]
    assert mirror, group["edges"]


def test_a_frame_grabbed_from_a_video_is_found_as_a_copy_of_the_video(tmp_path: Path) -> None:
    """A still taken from a clip (a thermal camera's video from the shared corpus), cut
    to its middle and re-encoded small, as a channel would post it: the video's keyframes
    are fingerprinted at ingest, and the still joins the video's group."""
    import cv2

    video = require_shared(SHARED / "corpora" / "photos" / "video" / "mei__FLIR Thermal.mp4")
    capture = cv2.VideoCapture(str(video))
    capture.set(cv2.CAP_PROP_POS_MSEC, 2838.0)  # one of the clip's sampled instants
    ok, frame = capture.read()
    capture.release()
    assert ok
    still = Image.fromarray(frame[:, :, ::-1]).resize((540, 720))
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(video, folder / video.name)
    (folder / "grab.jpg").write_bytes(_jpeg(still, 70))
    case = tmp_path / "v.case"
    summary = api.ingest([folder], case)
    assert summary.fingerprinted == 2 and summary.fingerprint_failed == 0
    (group,) = api.copies(case)
    kinds = sorted(m["kind"] for m in group["members"])
    assert kinds == ["image", "video"]
    (edge,) = [e for e in group["edges"] if e["relation"] == "copy"]
    assert "@" in json.dumps(edge)  # matched on a keyframe: region "frame@2.838s"


def _clip_frames(*wanted: int) -> list[Image.Image]:
    """Frames of a real iPhone clip from the shared corpus (people walking on a ski
    slope, the camera panning)."""
    import cv2

    clip = cv2.VideoCapture(
        str(require_shared(SHARED / "corpora" / "photos" / "video" / "elodie__video.mov"))
    )
    frames: dict[int, Image.Image] = {}
    for i in range(max(wanted) + 1):
        ok, frame = clip.read()
        assert ok
        if i in wanted:
            frames[i] = Image.fromarray(frame[:, :, ::-1].copy()).resize((960, 540))
    clip.release()
    return [frames[i] for i in wanted]


def test_the_next_frames_of_a_clip_posted_as_stills_are_not_copies(tmp_path: Path) -> None:
    """Two stills a third of a second apart from one clip: their PDQ hashes are well
    inside the match radius (a hash-only rule joined them), but the pixel check sees the
    people move; a shrunken re-encode of the first still is its copy."""
    first, later = _clip_frames(0, 10)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "frame0.jpg").write_bytes(_jpeg(first, 90))
    (folder / "frame10.jpg").write_bytes(_jpeg(later, 90))
    (folder / "frame0_reposted.jpg").write_bytes(_jpeg(first.resize((480, 270)), 70))
    case = tmp_path / "f.case"
    api.ingest([folder], case)
    (group,) = api.copies(case)
    names = sorted(Path(m["paths"][0]).name for m in group["members"])
    assert names == ["frame0.jpg", "frame0_reposted.jpg"]
    moved = [e for e in group["edges"] if e["relation"] == "same_scene_other_shot"]
    assert moved and all(e["parts_moved"] and "parts moved" in e["transformation"] for e in moved)
    # The hash alone said copy: PDQ well inside its radius of 31 bits.
    assert all(e["hash"]["method"] == "pdq" and e["hash"]["distance"] <= 31 for e in moved)

    # Asked about one picture, the same answer: the small repost matches both frames
    # (nothing moves at 480 px) and goes with the one it matches best.
    def asked(image: str | None = None, of: Path | None = None) -> list[str]:
        found = api.copies(case, image, of=of)
        return sorted(Path(m["paths"][0]).name for g in found for m in g["members"] if m["paths"])

    assert asked(image=str(folder / "frame10.jpg")) == []
    for name in ("frame0.jpg", "frame0_reposted.jpg"):
        assert asked(image=str(folder / name)) == ["frame0.jpg", "frame0_reposted.jpg"]
    outside = tmp_path / "seen_elsewhere.jpg"
    outside.write_bytes(_jpeg(later.resize((700, 394)), 80))
    assert asked(of=outside) == ["frame10.jpg"]


def test_a_picture_too_plain_for_keypoints_is_joined_on_a_close_hash(tmp_path: Path) -> None:
    """A photo blurred past recognition has too few keypoints for the pixel check to fit
    a transform; its re-encode is 0-few PDQ bits off, and that stands, with the reason."""
    from PIL import ImageFilter

    require_shared(JPEG)
    with Image.open(ORIGINAL) as im:
        plain = im.convert("RGB").resize((640, 480)).filter(ImageFilter.GaussianBlur(14))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "plain.jpg").write_bytes(_jpeg(plain, 90))
    (folder / "plain_again.jpg").write_bytes(_jpeg(plain.resize((400, 300)), 60))
    case = tmp_path / "p.case"
    api.ingest([folder], case)
    (group,) = api.copies(case)
    assert len(group["members"]) == 2
    (edge,) = group["edges"]
    assert edge["method"] == "pdq" and "no say" in edge["pixel_check"]


def _black_clip(path: Path, size: tuple[int, int] = (320, 240)) -> None:
    """Two seconds of black frames (a lens cap, a fade-in), MPEG-4 as OpenCV writes it."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10, size)
    for _ in range(20):
        writer.write(np.zeros((size[1], size[0], 3), np.uint8))
    writer.release()


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_blank_pictures_are_not_copies_and_the_output_says_why(tmp_path: Path) -> None:
    """Every blank picture hashes like every other of its shade, whatever its size and
    format (0 PDQ bits apart), and has no keypoints to check: the shared corpus's blank
    test files from a Nikon and a Canon and elodie's blank sample, a white PNG and a white
    JPEG, a grey PNG and a black JPEG, a black photo and a black video were copies on the
    hash alone.  Now none is joined, and each is listed alone with the reason and the
    hash matches it was not joined to."""
    blanks = ["exiftool__Nikon.jpg", "exiftool__Canon.jpg", "elodie__no-exif.jpg"]
    folder = tmp_path / "in"
    folder.mkdir()
    for name in blanks:
        shutil.copyfile(require_shared(JPEG / name), folder / name)
    (folder / "white.png").write_bytes(_png(Image.new("RGB", (800, 600), "white")))
    (folder / "white.jpg").write_bytes(_jpeg(Image.new("RGB", (1024, 768), "white")))
    (folder / "grey.png").write_bytes(_png(Image.new("RGB", (800, 600), (128, 128, 128))))
    (folder / "black.jpg").write_bytes(_jpeg(Image.new("RGB", (1280, 720), "black"), 70))
    (folder / "black.png").write_bytes(_png(Image.new("RGB", (640, 480), "black")))
    _black_clip(folder / "dark.mp4")
    case = tmp_path / "b.case"
    summary = api.ingest([folder], case)
    assert summary.fingerprinted == 9 and summary.fingerprint_failed == 0

    found = api.copies(case)
    assert all(len(g["members"]) == 1 for g in found)  # no group of copies
    alone = {Path(g["members"][0]["path"]).name: g for g in found}
    assert set(alone) == {p.name for p in folder.iterdir()}  # each one said, none dropped
    name = {g["members"][0]["sha256"]: n for n, g in alone.items()}
    for picture, g in alone.items():
        assert g["note"] == "too little detail to compare: a blank or near-uniform picture"
        assert g["edges"], picture  # the hash matches it was not joined to
        for e in g["edges"]:
            assert e["relation"] == "too_plain" and e["pdq_quality"] < 6
            assert "not taken on the hash" in e["pixel_check"]
    # The matches that made them copies before: 0 bits apart, now evidence of nothing.
    pairs = {
        frozenset((name[e["a"]], name[e["b"]])): e
        for g in found
        for e in g["edges"]
        if e["method"] == "pdq"
    }
    for a, b in [
        ("white.png", "white.jpg"),
        ("exiftool__Nikon.jpg", "exiftool__Canon.jpg"),
        ("grey.png", "black.jpg"),
        ("black.png", "dark.mp4"),
    ]:
        assert pairs[frozenset((a, b))]["distance"] <= 16

    # The CLI says it too: one line per picture in JSONL, and a count on stderr.
    result = CliRunner().invoke(app, ["copies", "--case", str(case), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 9 and all(line["note"] for line in lines)
    assert "0 groups of copies, 9 pictures too plain to compare" in result.stderr
    text = CliRunner().invoke(app, ["copies", "--case", str(case)])
    assert text.stdout.count("not joined: too little detail to compare") == 9
    # Asked about one of them, or about a blank picture from outside the case: the same.
    (mine,) = api.copies(case, str(folder / "white.png"))
    assert Path(mine["members"][0]["path"]).name == "white.png" and mine["note"]
    outside = tmp_path / "blank_elsewhere.jpg"
    outside.write_bytes(_jpeg(Image.new("RGB", (600, 600), "white"), 60))
    (theirs,) = api.copies(case, of=outside)
    assert theirs["members"][0]["outside"] is True and len(theirs["members"]) == 1
    assert theirs["note"] and {e["relation"] for e in theirs["edges"]} == {"too_plain"}


def test_a_white_page_with_a_logo_is_still_a_copy_but_not_one_with_a_line_of_text(
    tmp_path: Path,
) -> None:
    """Near-blank is not blank: a white page with a logo a tenth of its width has the
    detail to compare (PDQ quality ~17, ~150 keypoints) and joins its small re-encode;
    a white page with one line of small text in a corner has none (quality 1, no
    keypoint) and is not joined to its re-encode on their hash, with the reason."""
    folder = tmp_path / "in"
    folder.mkdir()
    logo = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(logo)
    draw.ellipse((370, 270, 430, 330), fill=(200, 30, 30))
    draw.text((385, 295), "ACME", fill="white")
    (folder / "logo.png").write_bytes(_png(logo))
    (folder / "logo_reposted.jpg").write_bytes(_jpeg(logo.resize((400, 300)), 70))
    text = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(text).text((700, 580), "@user", fill="black")
    (folder / "text.png").write_bytes(_png(text))
    (folder / "text_reposted.jpg").write_bytes(_jpeg(text.resize((640, 480)), 70))
    case = tmp_path / "l.case"
    api.ingest([folder], case)
    found = api.copies(case)
    (group,) = [g for g in found if len(g["members"]) > 1]
    assert sorted(Path(m["path"]).name for m in group["members"]) == [
        "logo.png",
        "logo_reposted.jpg",
    ]
    assert "note" not in group
    alone = sorted(Path(g["members"][0]["path"]).name for g in found if "note" in g)
    assert alone == ["text.png", "text_reposted.jpg"]


def test_plain_means_blank_or_near_uniform_not_soft() -> None:
    """The line between plain and detailed on real pictures: every blank sample file of
    the shared corpus (37, PDQ quality 0) is plain, every other photo is not (the least
    detailed, a foggy shot, has 13), and neither is a photo blurred by 30 px (quality 33,
    no keypoint left: the blurred-photo rule above still joins such a picture)."""
    from PIL import ImageFilter

    from geotrace.analysis.copies import plain
    from geotrace.evidence.fingerprint import ImageError, decode, fingerprint_image

    photos = require_shared(JPEG).parent
    blank, detailed = [], []
    for path in sorted(p for d in ("jpeg", "heif", "other") for p in (photos / d).iterdir()):
        try:
            image, size = decode(path)
        except ImageError:  # a video or XMP sidecar: not a still this stage hashes
            continue
        flat = float(np.asarray(image.convert("L"), dtype=np.float64).std()) < 1
        (blank if flat else detailed).append(fingerprint_image(image, size).frame.quality)
    assert len(blank) >= 30 and len(detailed) >= 50
    assert all(plain(q) for q in blank) and not any(plain(q) for q in detailed)
    with Image.open(ORIGINAL) as im:
        soft = im.convert("RGB").filter(ImageFilter.GaussianBlur(30))
    image, size = decode(_jpeg(soft, 90))
    assert not plain(fingerprint_image(image, size).frame.quality)
