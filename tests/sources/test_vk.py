"""The VK API reader on the real saved responses (vknet/vk test data) and on broken and
synthetic variants built from them: reposts place the original author, the place label
stays a separate claim, entities are decoded, a bad item is refused alone."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.records import Account, Geotag, Link, Post
from geotrace.sources.base import ExportFile, Record, Refusal
from geotrace.sources.vk import READERS, VK_API, read, sniff
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
VK = EXPORTS / "vk_api_json"

GEO_OBJECT = "vknet_Models_Geo.json"
NEWSFEED_GET = "vknet_NewsFeed_Get2.json"
PRAGUE = "vknet_NewsFeed_Search_Coordinates_Exception.json"
NEXT_FROM = "vknet_NewsFeed_Search_NextFrom_NotNull.json"
PHOTOS_ALL = "vknet_Photos_GetAll_NormalCase.json"
PHOTOS_SEARCH = "vknet_Photos_Search_Error26_Lat_and_Long_in_output_photo.json"
EXTENDED = "vknet_Wall_Get_ExtendedVersion_GenerateOutParametersCorrectly.json"
WALL_GEO = "vknet_Wall_Get_Geo_NormalCase.json"

#: file -> (post ids in the order read, refusal codes)
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    GEO_OBJECT: ([], ["not_vk_response"]),
    NEWSFEED_GET: (["361347484_2399", "-29334103_5043", "361347484_2398"], ["vk_items_skipped"]),
    PRAGUE: (["-168119259_5225"], []),
    NEXT_FROM: (["388444282_11454", "-31130529_49163", "-184898883_177"], []),
    PHOTOS_ALL: (["photo1_328693256", "photo1_328693245"], []),
    PHOTOS_SEARCH: (["photo258913887_334408466", "photo249390767_326991086"], []),
    EXTENDED: (["-29246653_93530", "10_41"], []),
    WALL_GEO: (["-42895313_128", "1563369_1164"], []),
}


def _doc(path: Path, name: str | None = None) -> ExportFile:
    return ExportFile(name or str(path), path.stat().st_size, lambda: path.open("rb"))


def _sample(name: str) -> Path:
    require_shared(EXPORTS)
    return VK / name


def _read(path: Path) -> list[Record]:
    return list(read(_doc(path)))


def _posts(records: list[Record]) -> dict[str, Post]:
    return {r.post_id: r for r in records if isinstance(r, Post)}


def _refusals(records: list[Record]) -> list[Refusal]:
    return [r for r in records if isinstance(r, Refusal)]


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    return path


def _loaded(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(_sample(name).read_text("utf-8-sig"))
    return loaded


# -- recognising ---------------------------------------------------------------------


def test_reader_is_registered_once() -> None:
    assert READERS == (VK_API,)
    assert (VK_API.name, VK_API.version) == ("vk_api", "1")


def test_sniff_takes_every_saved_response_and_leaves_the_bare_geo_object() -> None:
    require_shared(EXPORTS)
    taken = {p.name for p in VK.iterdir() if sniff(p.name, p.read_bytes()[:65536])}
    assert taken == set(EXPECTED) - {GEO_OBJECT}


def test_sniff_rejects_every_other_platform_sample() -> None:
    require_shared(EXPORTS)
    others = [p for p in EXPORTS.rglob("*") if p.is_file() and p.parent != VK]
    assert len(others) >= 20
    taken = [p.name for p in others if sniff(p.name, p.read_bytes()[:65536])]
    assert taken == []


def test_sniff_needs_an_export_suffix_and_vk_keys() -> None:
    head = b'{"response": {"count": 1, "items": [{"id": 1, "owner_id": 5, "date": 1400000000}]}}'
    assert sniff("wall.json", head) and sniff("pages.jsonl", head)
    assert not sniff("wall.txt", head)
    assert sniff("empty.json", b'{"response": {"count": 0, "items": []}}')
    assert not sniff("x.json", b'{"response": 1}')
    assert not sniff("x.json", b'{"data": [{"id": "1", "owner_id": "5", "date": "x"}]}')
    assert sniff("e.json", b'{"error": {"error_code": 5, "error_msg": "auth"}}')
    assert not sniff("e.json", b'{"error": "not found"}')


# -- the samples, exactly --------------------------------------------------------------


def test_every_sample_gives_exactly_its_posts_and_refusals() -> None:
    require_shared(EXPORTS)
    for name, (post_ids, codes) in EXPECTED.items():
        records = _read(VK / name)
        assert [r.post_id for r in records if isinstance(r, Post)] == post_ids, name
        assert [r.code for r in _refusals(records)] == codes, name
        assert all(isinstance(r, Post | Refusal | Account) for r in records)


def test_the_progress_meter_counts_each_document_once() -> None:
    path = _sample(EXTENDED)  # extended: the names are read in a pass of their own
    doc = _doc(path)
    list(read(doc))
    assert doc.meter.consumed == path.stat().st_size


def test_prague_point_keeps_its_label_apart_and_entities_are_decoded() -> None:
    (post,) = _posts(_read(_sample(PRAGUE))).values()
    assert post.geotags == (
        Geotag(
            50.075544478827,
            14.437798116462,
            50.0,
            "point",
            "geo.coordinates",
            "Náměstí Míru Peace Square, Прага, Чехія",
        ),
    )
    assert post.text == "✈️ Вильнюс (Литва) → Прага (Чехия) \u3000"
    assert post.posted_at is not None and post.posted_at.utc == _utc(2020, 2, 2, 15, 38, 28)
    assert post.posted_at.basis == "platform_utc"
    assert post.author == Account("vk", "-168119259")
    assert post.chat is None
    assert post.url == "https://vk.com/wall-168119259_5225"
    assert post.location == "response.items[0]"
    photo, page = post.media
    assert photo.kind == "photo" and photo.metadata["width"] == 800  # the "y" size, largest
    assert page.kind == "page" and page.url == "https://m.vk.com/...f9d4c1f63938808b0c6"


def test_a_repost_geotag_belongs_to_the_original_author() -> None:
    records = _read(_sample(WALL_GEO))
    posts = _posts(records)
    original, repost = posts["-42895313_128"], posts["1563369_1164"]
    assert original.author == Account("vk", "-42895313")
    assert original.posted_at is not None
    assert original.posted_at.utc == _utc(2014, 4, 19, 13, 45, 46)
    assert original.geotags == (
        Geotag(
            47.282735079717,
            39.697793677442,
            50.0,
            "point",
            "geo.coordinates",
            "Neklinovskiy pereulok, Rostov-na-Donu, Russian Federation",
        ),
    )
    assert original.location == "response.items[0].copy_history[0]"
    assert original.raw["id"] == 128 and "copy_history" not in original.raw
    assert [m.kind for m in original.media] == ["poll"]
    assert repost.author == Account("vk", "1563369")
    assert repost.posted_at is not None and repost.posted_at.utc == _utc(2014, 4, 19, 13, 58, 26)
    assert repost.geotags == ()
    assert repost.links == (
        Link("repost_of", "-42895313_128", "-42895313", None, original.posted_at),
    )
    # the link's target comes first, so a store can resolve it as it goes
    assert records.index(original) < records.index(repost)


def test_profiles_and_groups_after_the_items_name_the_accounts() -> None:
    posts = _posts(_read(_sample(EXTENDED)))
    assert posts["10_41"].author == Account("vk", "10", None, "Иван Иванов")
    assert posts["-29246653_93530"].author == Account(
        "vk", "-29246653", "evil_incorparate", "Корпорация Зла"
    )
    assert posts["10_41"].links[0].name == "Корпорация Зла"
    next_from = _posts(_read(_sample(NEXT_FROM)))
    assert next_from["388444282_11454"].author == Account(
        "vk", "388444282", "elinastayl", "Элина Стайл"
    )
    assert next_from["388444282_11454"].text.startswith("❗Принимаю")
    assert next_from["388444282_11454"].text.endswith("дня&")  # a bare & stays
    assert [m.kind for m in next_from["-184898883_177"].media] == ["link"]


def test_newsfeed_get_uses_source_and_post_ids_and_notes_friend_items() -> None:
    records = _read(_sample(NEWSFEED_GET))
    posts = _posts(records)
    own = posts["361347484_2399"]
    assert own.author == Account("vk", "361347484", "iyyyaaa", "Ия Игнатова")
    assert own.url == "https://vk.com/wall361347484_2399"
    assert own.location == "response.items[4]"
    (photo,) = own.media
    assert photo.url == "https://pp.userapi.com/c849428/v849428327/a8d53/vwdWnXoOOLM.jpg"
    assert photo.metadata == {
        "id": 456252114,
        "owner_id": 361347484,
        "width": 632,
        "height": 954,
        "date": 1541099979,
    }
    original = posts["-29334103_5043"]
    # wiki links stay as written: the id in them is who was named, and outputs escape
    assert "[club52411440|всероссийского детского центра «Смена»]" in original.text
    assert [m.kind for m in original.media] == ["photo"] + ["doc"] * 6
    assert posts["361347484_2398"].links[0].post_id == "-29334103_5043"
    (note,) = _refusals(records)
    assert note.path == str(VK / NEWSFEED_GET)
    assert "friend: 7" in note.message


def test_photos_search_gives_photo_posts_with_their_own_points() -> None:
    posts = _posts(_read(_sample(PHOTOS_SEARCH)))
    first, second = posts["photo258913887_334408466"], posts["photo249390767_326991086"]
    assert first.kind == "photo"
    assert first.url == "https://vk.com/photo258913887_334408466"
    assert first.geotags == (Geotag(29.999996, 29.999997, 50.0, "photo_point", "lat/long"),)
    assert second.geotags == (Geotag(29.942251, 29.882819, 50.0, "photo_point", "lat/long"),)
    assert second.posted_at is not None and second.posted_at.utc == _utc(2014, 4, 4, 8, 56, 20)
    assert first.media[0].url == "http://cs617419.vk.me/v617419887/11e93/LXbjRssgtso.jpg"
    assert second.media[0].url.endswith("6wIHGv9_xZ8.jpg")  # photo_604: its largest
    assert first.media[0].metadata["lat"] == 29.999996
    all_photos = _posts(_read(_sample(PHOTOS_ALL)))
    assert {p.geotags for p in all_photos.values()} == {()}


def test_the_bare_geo_object_is_refused_not_read() -> None:
    (refusal,) = _read(_sample(GEO_OBJECT))
    assert isinstance(refusal, Refusal) and refusal.code == "not_vk_response"


# -- broken and hostile variants ------------------------------------------------------


def test_a_bom_is_skipped_whether_added_or_removed(tmp_path: Path) -> None:
    plain = _sample(WALL_GEO).read_bytes()
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + plain)
    assert sniff(with_bom.name, with_bom.read_bytes())
    assert list(_posts(_read(with_bom))) == EXPECTED[WALL_GEO][0]
    bom = _sample(PRAGUE).read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf")
    without = tmp_path / "nobom.json"
    without.write_bytes(bom[3:])
    assert _posts(_read(without)) == _posts(_read(_sample(PRAGUE)))


def test_a_bad_item_in_the_middle_is_refused_alone(tmp_path: Path) -> None:
    response = _loaded(NEXT_FROM)["response"]
    assert isinstance(response, dict)
    items = response["items"]
    items[1:1] = [{"id": "not a number", "owner_id": 5, "date": 1564779900}, "garbage"]
    items[3]["geo"] = {"type": "point", "coordinates": "95.5 14.4"}
    path = _write(tmp_path / "bad.json", {"response": response})
    records = _read(path)
    assert list(_posts(records)) == EXPECTED[NEXT_FROM][0]
    refusals = _refusals(records)
    assert [(r.path, r.code) for r in refusals] == [
        (f"{path}#response.items[1]", "vk_item_invalid"),
        (f"{path}#response.items[2]", "vk_item_invalid"),
        (f"{path}#response.items[3]", "geotag_invalid"),
    ]
    assert "out of range" in refusals[2].message
    # the post whose point is impossible is still there, without it
    assert _posts(records)["-31130529_49163"].geotags == ()


def test_a_truncated_response_keeps_what_came_before_the_cut(tmp_path: Path) -> None:
    data = _sample(NEXT_FROM).read_bytes()
    cut = data.index(b'"id": 49163') + 40  # inside the second item
    path = tmp_path / "cut.json"
    path.write_bytes(data[:cut])
    records = _read(path)
    assert list(_posts(records)) == ["388444282_11454"]
    assert [r.code for r in _refusals(records)] == ["json_broken"]
    # the names were after the cut: the accounts are known by id alone
    assert _posts(records)["388444282_11454"].author == Account("vk", "388444282")


def test_an_error_response_is_one_refusal(tmp_path: Path) -> None:
    error = {
        "error": {
            "error_code": 5,
            "error_msg": "User authorization failed",
            "request_params": [
                {"key": "method", "value": "wall.get"},
                {"key": "owner_id", "value": "1"},
            ],
        }
    }
    path = _write(tmp_path / "error.json", error)
    assert sniff(path.name, path.read_bytes())
    (refusal,) = _read(path)
    assert isinstance(refusal, Refusal) and refusal.code == "vk_api_error"
    assert refusal.path == str(path)
    assert refusal.message == "VK API error 5 (wall.get): User authorization failed"


def test_json_lines_of_responses_items_and_errors(tmp_path: Path) -> None:
    lines = [
        json.dumps(_loaded(PRAGUE), ensure_ascii=False),
        json.dumps(_loaded(EXTENDED)),
        '{"response": {"items": [{"id": 1, "owner_',  # a page cut by a crash
        json.dumps({"error": {"error_code": 6, "error_msg": "Too many requests per second"}}),
        json.dumps(_loaded(PHOTOS_SEARCH)["response"]["items"][0]),  # type: ignore[index]
    ]
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    assert sniff(path.name, path.read_bytes()[:65536])
    records = _read(path)
    posts = _posts(records)
    assert list(posts) == [
        "-168119259_5225",
        "-29246653_93530",
        "10_41",
        "photo258913887_334408466",
    ]
    assert posts["-168119259_5225"].location == "line 1: response.items[0]"
    assert posts["-29246653_93530"].location == "line 2: response.items[0].copy_history[0]"
    assert posts["10_41"].author == Account("vk", "10", None, "Иван Иванов")
    assert posts["photo258913887_334408466"].location == "line 5"
    assert [(r.path, r.code) for r in _refusals(records)] == [
        (f"{path}:line 3", "json_line_invalid"),
        (f"{path}#line 4", "vk_api_error"),
    ]
    # the same lines in a .json file are recognised as lines, not one broken document
    concatenated = tmp_path / "pages.json"
    concatenated.write_text("\n".join(lines[:2]) + "\n", "utf-8")
    assert list(_posts(_read(concatenated))) == list(posts)[:3]


def test_a_profiles_key_quoted_inside_a_text_does_not_fool_the_name_scan(
    tmp_path: Path,
) -> None:
    value = _loaded(EXTENDED)
    response = value["response"]
    assert isinstance(response, dict)
    response["items"][0]["text"] = 'see "profiles": [{"id": 10, "first_name": "Fake"}]'
    path = _write(tmp_path / "quoted.json", value)
    posts = _posts(_read(path))
    assert posts["10_41"].author == Account("vk", "10", None, "Иван Иванов")
    assert posts["10_41"].text.startswith('see "profiles"')


def test_newer_and_older_api_shapes(tmp_path: Path) -> None:
    """Coordinates as an object (newer API), a check-in venue pin, a repost chain, the old
    ``copy_owner_id`` repost, a video without URL, a photo attachment with its own point,
    a newsfeed photo item and an out-of-range date."""
    chain = {
        "id": 3,
        "owner_id": 7,
        "from_id": 7,
        "date": 1600000300,
        "text": "",
        "copy_history": [
            {"id": 2, "owner_id": -9, "from_id": 8, "date": 1600000200, "text": "via"},
            {
                "id": 1,
                "owner_id": -5,
                "from_id": -5,
                "date": 1600000100,
                "text": "first",
                "geo": {
                    "type": "point",
                    "coordinates": {"latitude": 59.93, "longitude": 30.31},
                    "place": {"title": "Dvortsovaya", "latitude": 59.9390, "longitude": 30.3158},
                },
            },
        ],
    }
    old = {
        "id": 4,
        "owner_id": 7,
        "date": 1300000000,
        "copy_owner_id": -5,
        "copy_post_id": 1,
        "copy_post_date": 1200000000,
        "attachments": [
            {"type": "video", "video": {"id": 11, "owner_id": 7, "title": "clip"}},
            {
                "type": "photo",
                "photo": {
                    "id": 12,
                    "owner_id": 7,
                    "lat": 55.75,
                    "long": 37.62,
                    "photo_604": "http://x/604.jpg",
                    "photo_130": "http://x/130.jpg",
                },
            },
            {"type": "photo", "photo": "gone"},
        ],
    }
    feed_photo = {
        "type": "wall_photo",
        "source_id": 7,
        "date": 1600000400,
        "photos": {
            "count": 1,
            "items": [{"id": 13, "album_id": -7, "owner_id": 7, "date": 1600000400}],
        },
    }
    late = {"id": 5, "owner_id": 7, "date": 99999999999999}
    path = _write(
        tmp_path / "mixed.json", {"response": {"count": 4, "items": [chain, old, feed_photo, late]}}
    )
    records = _read(path)
    posts = _posts(records)
    assert list(posts) == ["-5_1", "-9_2", "7_3", "7_4", "photo7_13", "7_5"]
    first = posts["-5_1"]
    assert [(g.kind, g.lat, g.lon, g.radius_m, g.label) for g in first.geotags] == [
        ("point", 59.93, 30.31, 50.0, "Dvortsovaya"),
        ("venue", 59.939, 30.3158, 150.0, "Dvortsovaya"),
    ]
    assert posts["-9_2"].links[0].post_id == "-5_1"
    assert posts["-9_2"].author == Account("vk", "8")
    assert posts["-9_2"].chat == Account("vk", "-9")
    assert posts["7_3"].links[0].post_id == "-9_2"
    assert posts["7_3"].geotags == ()
    (old_link,) = posts["7_4"].links
    assert old_link.post_id == "-5_1" and old_link.at is not None
    video, photo = posts["7_4"].media
    assert video.url == "https://vk.com/video7_11" and video.metadata["title"] == "clip"
    assert photo.url == "http://x/604.jpg"
    assert posts["7_4"].geotags == (
        Geotag(55.75, 37.62, 50.0, "photo_point", "attachments[1].photo.lat/long"),
    )
    assert posts["photo7_13"].location == "response.items[2].photos.items[0]"
    assert posts["7_5"].posted_at is None
    assert Counter(r.code for r in _refusals(records)) == {
        "vk_attachment_invalid": 1,
        "time_invalid": 1,
    }


def test_a_photos_list_attachment_is_read_not_refused(tmp_path: Path) -> None:
    """``photos_list`` holds photo ids, not an object: VkNet's
    ``Wall/Get_With_PhotoListAttachment.json`` (commit 179020d) has one as ``null`` in a
    repost, the API documents a list of ``"<owner>_<id>"``.  Both were refused as
    ``vk_attachment_invalid``; a list holding something else still is."""
    value = json.loads(_sample(WALL_GEO).read_bytes())
    original = value["response"]["items"][0]["copy_history"][0]
    listed = {"type": "photos_list", "photos_list": ["-42895313_330001", "1563369_42"]}
    empty = {"type": "photos_list", "photos_list": None}
    bad = {"type": "photos_list", "photos_list": ["not an id"]}
    original["attachments"] = [*original["attachments"], listed, empty, bad]
    records = _read(_write(tmp_path / "photos_list.json", value))
    posts = _posts(records)
    assert list(posts) == EXPECTED[WALL_GEO][0]
    photos = [m for m in posts["-42895313_128"].media if m.kind == "photo"]
    assert [m.url for m in photos] == [
        "https://vk.com/photo-42895313_330001",
        "https://vk.com/photo1563369_42",
    ]
    (refused,) = _refusals(records)
    assert refused.code == "vk_attachment_invalid" and "not an <owner>_<id>" in refused.message
    assert refused.path.endswith(f"copy_history[0].attachments[{len(original['attachments']) - 1}]")


def test_reading_streams_the_items(tmp_path: Path) -> None:
    """The first post comes out before most of a large response has been read."""
    post = {"id": 1, "owner_id": 7, "from_id": 7, "date": 1600000000, "text": "x" * 200}
    path = tmp_path / "big.json"
    with path.open("w") as out:
        out.write('{"response": {"count": 5000, "items": [')
        out.write(",".join(json.dumps({**post, "id": i}) for i in range(5000)))
        out.write('], "profiles": [{"id": 7, "first_name": "A", "last_name": "B"}]}}')
    doc = _doc(path)
    records = read(doc)
    first = next(records)
    assert isinstance(first, Post) and first.author == Account("vk", "7", None, "A B")
    assert doc.meter.consumed < path.stat().st_size / 4
    assert sum(1 for _ in records) == 4999


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_samples_never_raise(data: st.DataObject) -> None:
    require_shared(EXPORTS)
    name = data.draw(st.sampled_from([WALL_GEO, PRAGUE, EXTENDED, PHOTOS_SEARCH, NEWSFEED_GET]))
    raw = bytearray((VK / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del raw[at:]
        elif action == "insert":
            raw[at:at] = data.draw(
                st.sampled_from(
                    [b'"', b"{", b"]", b",", b"-", b"null", b'"geo": 5,', b'"date": "x",', b"\xff"]
                )
            )
        else:
            del raw[at : at + data.draw(st.integers(1, 40))]
        if not raw:
            raw.extend(b"{")
    content = bytes(raw)
    sniff(name, content[:65536])
    doc = ExportFile(name, len(content), lambda: io.BytesIO(content))
    for record in read(doc):
        assert isinstance(record, Post | Account | Refusal)


# -- places.getCheckins ----------------------------------------------------------------------

#: VkNet's saved places.getCheckins response (VkNet.Tests/TestData/Categories/Places/
#: GetCheckins.json: its one check-in has the 0, 0 placeholder), with a second check-in of
#: the same shape at a real place.
CHECKINS = """{
  "response": {
    "count": 68,
    "items": [
      {"id": "973782_2187", "user_id": 973782, "post_id": 2187, "date": 1530002871,
       "latitude": 0, "longitude": 0, "text": "text", "place_id": 0, "place_title": "",
       "place_country": 0, "place_city": 0, "place_address": "", "place_type": 0,
       "place_icon": "http://vk.ru/images/places/place.png", "distance": 7062029},
      {"id": "973782_2190", "user_id": 973782, "post_id": 2190, "date": 1530089271,
       "latitude": 55.7539, "longitude": 37.6208,
       "text": "&#1055;&#1083;&#1086;&#1097;&#1072;&#1076;&#1100;",
       "place_id": 312, "place_title": "Red Square", "place_country": 1, "place_city": 1,
       "place_address": "", "place_type": 3, "place_icon": "", "distance": 12}
    ]
  }
}
"""


def test_checkins_are_posts_with_a_venue_pin() -> None:
    from geotrace.sources.base import SNIFF_BYTES
    from geotrace.sources.registry import detect

    data = CHECKINS.encode()
    reader = detect("places.getCheckins.json", data[:SNIFF_BYTES])
    assert reader is not None and reader.name == "vk_checkins"
    doc = ExportFile("checkins.json", len(data), lambda: io.BytesIO(data))
    records = list(reader.read(doc))
    kinds = [(type(r).__name__, getattr(r, "code", None)) for r in records]
    assert kinds == [("Post", None), ("Refusal", "geotag_invalid"), ("Post", None)]
    placeholder, refused, square = records
    assert isinstance(placeholder, Post) and not placeholder.geotags
    assert "placeholder" in refused.message and refused.path.endswith("response.items[0]")
    assert isinstance(square, Post)
    assert (square.post_id, square.kind, square.author) == (
        "checkin973782_2190",
        "checkin",
        Account("vk", "973782"),
    )
    assert square.posted_at is not None
    assert square.posted_at.utc == datetime(2018, 6, 27, 8, 47, 51, tzinfo=UTC)
    assert square.text == "Площадь" and square.url == "https://vk.com/wall973782_2190"
    assert square.geotags == (
        Geotag(55.7539, 37.6208, 150.0, "venue", "latitude/longitude", "Red Square"),
    )
