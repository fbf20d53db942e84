"""Meta "Download your information" JSON: Instagram posts/stories/reels, Facebook posts."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geotrace.records import Account, Post
from geotrace.sources.base import ExportFile, ExportReader, Refusal
from geotrace.sources.meta import FACEBOOK, INSTAGRAM, fix_text, root_prefix
from tests.conftest import SHARED, require_shared

EXPORTS = SHARED / "corpora" / "exports"
POSTS = EXPORTS / "instagram_dyi_json" / "yummyhopper_posts_1.json"
STORIES = EXPORTS / "instagram_dyi_json" / "yummyhopper_stories.json"
IG_DIR = "export/your_instagram_activity/content"


def _read(reader: ExportReader, name: str, data: bytes) -> list[Any]:
    return list(reader.read(ExportFile(name, len(data), lambda: io.BytesIO(data))))


def _posts(records: list[Any]) -> list[Post]:
    return [r for r in records if isinstance(r, Post)]


def _sample(path: Any) -> bytes:
    require_shared(EXPORTS)
    data: bytes = path.read_bytes()
    return data


def test_instagram_posts_sample() -> None:
    records = _read(INSTAGRAM, f"{IG_DIR}/posts_1.json", _sample(POSTS))
    posts = _posts(records)
    assert len(records) == len(posts) == 4
    assert [len(p.media) for p in posts] == [1, 6, 7, 6]  # one single post, 3 carousels
    assert [p.post_id for p in posts] == [
        "18032017582961826",
        "17881210856973858",
        "18013745996304514",
        "18034864069664523",
    ]
    single, taxi, llama, cheese = posts
    assert cheese.text == "Great friends, a bit o booze, and some damn good cheese."
    assert taxi.text == "Un Taxi 🇨🇴"
    assert llama.text == "Happy llama, sad llama, totally rad llama 🇵🇪"
    assert taxi.raw["title"] == "Un Taxi \u00f0\u009f\u0087\u00a8\u00f0\u009f\u0087\u00b4"
    # a carousel's time is its own, a single post's is its media's
    assert taxi.posted_at is not None and taxi.posted_at.source == "creation_timestamp"
    assert taxi.posted_at.utc == datetime.fromtimestamp(1710165471, UTC)
    assert single.posted_at is not None
    assert single.posted_at.source == "media[0].creation_timestamp"
    assert single.posted_at.utc == datetime(2024, 5, 13, 2, 21, 16, tzinfo=UTC)
    assert single.text == "Great sem" and single.author is None and single.kind == "post"
    media = single.media[0]
    assert media.path == (
        "../../media/posts/202405/443264932_2087405521632157_"
        "3585242178116673705_n_18032017582961826.jpg"
    )
    assert media.kind == "photo"
    exif = media.metadata["photo_metadata"]["exif_data"][0]  # type: ignore[index]
    assert exif["date_time_original"] == "2024:05:02 22:47:28"  # kept, not a post time
    assert exif["software"] == "Adobe Photoshop Lightroom Classic 12.2.1 (Windows)"
    assert exif["device_id"] == "D6AF134A-DA96-4F2A-A0F3-40540025ACE3"
    video = taxi.media[5]
    assert video.kind == "video" and "." not in video.path.rsplit("/", 1)[-1]  # type: ignore[union-attr]
    assert all(p.geotags == () for p in posts)  # no GPS in this account


def test_instagram_stories_sample() -> None:
    records = _read(INSTAGRAM, f"{IG_DIR}/stories.json", _sample(STORIES))
    stories = _posts(records)
    assert len(records) == len(stories) == 5
    assert {s.kind for s in stories} == {"story"}
    assert [s.location for s in stories] == [f"ig_stories[{i}]" for i in range(5)]
    assert stories[1].text == "Free 🚪"
    assert stories[3].text.startswith("Are you in the market for custom apparel? Whether it’s")
    assert "any kind… I’m here" in stories[3].text
    assert stories[0].posted_at is not None
    assert stories[0].posted_at.utc == datetime.fromtimestamp(1713394237, UTC)
    exif = stories[0].media[0].metadata["photo_metadata"]["exif_data"][0]  # type: ignore[index]
    assert exif["lens_make"] == "Apple" and exif["camera_position"] == "back"
    assert exif["date_time_original"] == "2024:04:17 18:50:33"
    assert stories[3].media[0].kind == "video"


def test_fix_text_keeps_real_text() -> None:
    assert fix_text("Un Taxi \u00f0\u009f\u0087\u00a8\u00f0\u009f\u0087\u00b4") == "Un Taxi 🇨🇴"
    assert fix_text("café") == "café"  # a genuine é is not UTF-8 bytes: left alone
    assert fix_text("Киев") == "Киев"  # beyond latin-1: left alone
    assert fix_text("plain") == "plain"


def test_root_prefix() -> None:
    assert root_prefix("/a/b/your_instagram_activity/content/posts_1.json") == "../../"
    assert root_prefix("x.zip!/your_instagram_activity/content/posts_1.json") == "../../"
    assert root_prefix("fb/your_facebook_activity/posts/your_posts_1.json") == "../../"
    assert root_prefix("old/content/posts_1.json") == "../"
    assert root_prefix("posts_1.json") == ""


def _with_gps(lat: object, lon: object) -> bytes:
    items = json.loads(_sample(POSTS))
    exif = items[0]["media"][0]["media_metadata"]["photo_metadata"]["exif_data"][0]
    exif["latitude"], exif["longitude"] = lat, lon
    return json.dumps(items).encode()


def test_exif_gps_becomes_an_exif_point() -> None:
    posts = _posts(_read(INSTAGRAM, "posts_1.json", _with_gps(4.6097, -74.0817)))
    (tag,) = posts[0].geotags
    assert (tag.lat, tag.lon, tag.radius_m, tag.kind) == (4.6097, -74.0817, 50.0, "exif_point")
    assert tag.source == "media_metadata.photo_metadata.exif_data.latitude"
    assert (
        posts[0].media[0].path == "media/posts/202405/443264932_2087405521632157_"
        "3585242178116673705_n_18032017582961826.jpg"
    )  # root unknown: as written


def test_invalid_exif_gps_is_refused_and_the_post_kept() -> None:
    records = _read(INSTAGRAM, "posts_1.json", _with_gps(0, 0))
    assert isinstance(records[0], Post) and records[0].geotags == ()
    assert isinstance(records[1], Refusal) and records[1].code == "geotag_invalid"
    assert records[1].path == "posts_1.json#[0]"
    assert len(_posts(records)) == 4


def test_reels_and_bad_items() -> None:
    items = json.loads(_sample(POSTS))
    doc = {"ig_reels_media": [items[1], {"media": "nope"}, 5, {"media": []}, items[2]]}
    data = json.dumps(doc).encode()
    assert INSTAGRAM.sniff("reels.json", data)
    records = _read(INSTAGRAM, "reels.json", data)
    kinds = [(type(r).__name__, getattr(r, "code", None)) for r in records]
    assert kinds == [
        ("Post", None),
        ("Refusal", "item_invalid"),
        ("Refusal", "item_invalid"),
        ("Refusal", "item_invalid"),
        ("Post", None),
    ]
    assert records[0].kind == "reel" and records[0].text == "Un Taxi 🇨🇴"
    assert records[1].path == "reels.json#ig_reels_media[1]"


def test_truncated_and_bom_documents() -> None:
    data = _sample(POSTS)
    records = _read(INSTAGRAM, "posts_1.json", data[: data.index(b"Happy llama")])
    assert [type(r).__name__ for r in records] == ["Post", "Post", "Refusal"]
    assert records[-1].code == "json_broken"
    bom = b"\xef\xbb\xbf" + _sample(STORIES)
    assert INSTAGRAM.sniff("stories.json", bom)
    assert len(_posts(_read(INSTAGRAM, "stories.json", bom))) == 5


FB_POSTS = [
    {
        "timestamp": 1690000000,
        "attachments": [
            {
                "data": [
                    {
                        "place": {
                            "name": "Pont Neuf",
                            "coordinate": {"latitude": 48.8566, "longitude": 2.3411},
                            "address": "Pont Neuf, 75001 Paris",
                            "url": "https://www.facebook.com/pontneuf",
                        }
                    }
                ]
            }
        ],
        "data": [{"post": "Caf\u00c3\u00a9 au lait \u00f0\u009f\u0098\u0080"}],
        "title": "Alice Example was at Pont Neuf.",
    },
    {
        "timestamp": 1690003600,
        "attachments": [
            {
                "data": [
                    {
                        "media": {
                            "uri": (
                                "your_facebook_activity/posts/media/Mobile_uploads/123_456_n.jpg"
                            ),
                            "creation_timestamp": 1690003500,
                            "media_metadata": {
                                "photo_metadata": {
                                    "exif_data": [
                                        {
                                            "upload_ip": "203.0.113.7",
                                            "taken_timestamp": 1689990000,
                                            "latitude": 48.8606,
                                            "longitude": 2.3376,
                                        }
                                    ]
                                }
                            },
                            "title": "Mobile uploads",
                        }
                    }
                ]
            }
        ],
        "data": [{"update_timestamp": 1690003600}],
        "title": "Alice Example added a new photo.",
    },
    {
        "timestamp": 1690007200,
        "attachments": [
            {
                "data": [
                    {
                        "place": {
                            "name": "Paris, France",
                            "coordinate": {"latitude": 48.8567, "longitude": 2.3508},
                            "address": "",
                        }
                    }
                ]
            }
        ],
        "title": "Alice Example was in Paris, France.",
    },
    {"timestamp": "soon", "data": [{"post": "no time"}]},
    {"timestamp": 1690010000, "attachments": "broken"},
]


def _fb_bytes() -> bytes:
    return json.dumps(FB_POSTS, indent=2).encode()


def test_facebook_posts() -> None:
    name = "fb/your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json"
    data = _fb_bytes()
    assert FACEBOOK.sniff(name, data) and not INSTAGRAM.sniff(name, data)
    records = _read(FACEBOOK, name, data)
    kinds = [(type(r).__name__, getattr(r, "code", None)) for r in records]
    assert kinds == [("Post", None)] * 4 + [
        ("Refusal", "time_invalid"),
        ("Refusal", "item_invalid"),
    ]
    checkin, photo, city, untimed = _posts(records)
    assert checkin.platform == "facebook" and checkin.text == "Café au lait 😀"
    assert checkin.posted_at is not None
    assert checkin.posted_at.utc == datetime.fromtimestamp(1690000000, UTC)
    (venue,) = checkin.geotags
    assert (venue.lat, venue.lon, venue.radius_m, venue.kind) == (48.8566, 2.3411, 100.0, "venue")
    assert venue.label == "Pont Neuf, Pont Neuf, 75001 Paris"
    assert photo.text == "Alice Example added a new photo."  # no post text: the title
    (gps,) = photo.geotags
    assert (gps.lat, gps.lon, gps.kind) == (48.8606, 2.3376, "exif_point")
    assert gps.source == "attachments.data.media.media_metadata.photo_metadata.exif_data.latitude"
    ref = photo.media[0]
    assert ref.path == "../../your_facebook_activity/posts/media/Mobile_uploads/123_456_n.jpg"
    exif = ref.metadata["photo_metadata"]["exif_data"][0]  # type: ignore[index]
    assert exif["upload_ip"] == "203.0.113.7" and exif["taken_timestamp"] == 1689990000
    assert city.geotags[0].radius_m == 15_000.0  # no address: maybe a whole city
    assert untimed.posted_at is None
    assert len({p.post_id for p in (checkin, photo, city, untimed)}) == 4
    again = _posts(_read(FACEBOOK, name, data))
    assert [p.post_id for p in again] == [p.post_id for p in (checkin, photo, city, untimed)]


def test_facebook_sniff_by_name_when_keys_are_reordered() -> None:
    data = json.dumps([{"title": "t", "timestamp": 1690000000}]).encode()
    assert not FACEBOOK.sniff("posts.json", data)
    assert FACEBOOK.sniff("fb/posts/your_posts_1.json", data)
    assert not FACEBOOK.sniff("your_posts_1.json", b'{"timestamp": 1}')


def test_sniffers_accept_only_instagram_samples() -> None:
    require_shared(EXPORTS)
    files = [p for p in sorted(EXPORTS.rglob("*")) if p.is_file()]
    for path in files:
        head = path.read_bytes()[:65536]
        assert INSTAGRAM.sniff(path.name, head) == (path in (POSTS, STORIES)), path
        assert not FACEBOOK.sniff(path.name, head), path


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_samples_never_raise(data: st.DataObject) -> None:
    if not POSTS.exists():
        return
    source = data.draw(st.sampled_from([POSTS, STORIES, None]))
    blob = bytearray(source.read_bytes() if source is not None else _fb_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, max(len(blob) - 1, 0)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and blob:
            blob[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del blob[at : at + data.draw(st.integers(1, 300))]
        else:
            blob[at:at] = data.draw(
                st.sampled_from(
                    [b"null", b"[]", b"{}", b'"latitude": 91,', b"\\u00f0", b"1e999", b"\xc3"]
                )
            )
    reader = INSTAGRAM if source is not None else FACEBOOK
    for record in _read(reader, f"{IG_DIR}/x.json", bytes(blob)):
        assert isinstance(record, Post | Account | Refusal)


# -- message threads (messages/inbox/<thread>/message_1.json) ---------------------------------

# yummyhopper/personal_instagram_analysis @ 42bab1877516779ac7999d3fb68c736972019e27 (no
# licence stated; the owner published the export), your_instagram_activity/messages/inbox/
# adam_930944588310288/message_1.json: its participants, 3 of its 16 messages (a share
# cut to its first line, a text, an emoji in Meta's mojibake) and its closing members
# (the blank line in magic_words emptied of its spaces).
IG_THREAD = b"""{
  "participants": [
    {
      "name": "Adam"
    },
    {
      "name": "Max Orenstein"
    }
  ],
  "messages": [
    {
      "sender_name": "Max Orenstein",
      "timestamp_ms": 1714688170402,
      "content": "You sent an attachment.",
      "share": {
        "link": "https://www.instagram.com/reel/C5g1yvBPesQ/?id=3341907506434534160_368650779",
        "share_text": "Send to a GYMBRO who can relate! \\u00f0\\u009f\\u00a5\\u00b2\\u00f0\\u009f\\u0098\\u0082",
        "original_content_owner": "__diegocoronado__"
      },
      "is_geoblocked_for_viewer": false
    },
    {
      "sender_name": "Adam",
      "timestamp_ms": 1707179852157,
      "content": "Facts us walking down locust",
      "is_geoblocked_for_viewer": false
    },
    {
      "sender_name": "Adam",
      "timestamp_ms": 1689117506376,
      "content": "\\u00f0\\u009f\\u0098\\u0082\\u00f0\\u009f\\u0098\\u0082\\u00f0\\u009f\\u0098\\u0082",
      "is_geoblocked_for_viewer": false
    }
  ],
  "title": "Adam",
  "is_still_participant": true,
  "thread_path": "inbox/adam_930944588310288",
  "magic_words": [

  ]
}"""  # noqa: E501
IG_THREAD_NAME = "export/your_instagram_activity/messages/inbox/adam_930944588310288/message_1.json"


def test_instagram_thread_messages_are_posts_by_sender_name() -> None:
    from geotrace.sources.base import SNIFF_BYTES
    from geotrace.sources.registry import detect

    reader = detect(IG_THREAD_NAME, IG_THREAD[:SNIFF_BYTES])
    assert reader is not None and reader.name == "meta_messages"
    records = _read(reader, IG_THREAD_NAME, IG_THREAD)
    assert not [r for r in records if isinstance(r, Refusal)]
    share, text, emoji = _posts(records)
    thread = Account("instagram", "adam_930944588310288", None, "Adam")
    for post in (share, text, emoji):
        assert (post.platform, post.kind, post.chat) == ("instagram", "message", thread)
    assert share.author == Account("instagram", "name:Max Orenstein", None, "Max Orenstein")
    assert text.author == emoji.author == Account("instagram", "name:Adam", None, "Adam")
    assert text.text == "Facts us walking down locust"
    assert emoji.text == "😂😂😂"
    assert text.posted_at is not None and text.posted_at.basis == "platform_utc"
    assert text.posted_at.utc == datetime.fromtimestamp(1707179852.157, UTC)
    assert [(m.url, m.kind) for m in share.media] == [
        ("https://www.instagram.com/reel/C5g1yvBPesQ/?id=3341907506434534160_368650779", "share")
    ]
    assert [(link.kind, link.name) for link in share.links] == [("forward_of", "__diegocoronado__")]
    assert len({p.post_id for p in (share, text, emoji)}) == 3
    # The ids do not depend on where the document was found.
    again = _posts(_read(reader, "elsewhere/" + IG_THREAD_NAME, IG_THREAD))
    assert [p.post_id for p in again] == [p.post_id for p in (share, text, emoji)]


def test_messenger_thread_photos_resolve_from_the_export_root() -> None:
    # The same thread as Facebook writes it (no is_geoblocked_for_viewer, no top folder),
    # one message given a photo as Messenger lists them.
    data = IG_THREAD.replace(b',\n      "is_geoblocked_for_viewer": false', b"")
    data = data.replace(
        b'"content": "Facts us walking down locust"',
        b'"content": "Facts us walking down locust",\n      "photos": [{"uri": '
        b'"messages/inbox/adam_930944588310288/photos/123123123123123.jpg",'
        b' "creation_timestamp": 1707179852}]',
    )
    name = "fb/messages/inbox/adam_930944588310288/message_1.json"
    from geotrace.sources.meta_messages import META_MESSAGES

    assert META_MESSAGES.sniff(name, data)
    records = _read(META_MESSAGES, name, data)
    got = _posts(records)
    assert len(got) == 3 and {p.platform for p in got} == {"facebook"}
    (photo,) = got[1].media
    assert photo.path == "../../../messages/inbox/adam_930944588310288/photos/123123123123123.jpg"
    assert (photo.kind, photo.metadata) == ("photo", {"creation_timestamp": 1707179852})
    # A message whose time is not a number keeps its post and says so.
    bad = data.replace(b'"timestamp_ms": 1707179852157', b'"timestamp_ms": "soon"')
    records = _read(META_MESSAGES, name, bad)
    assert len(_posts(records)) == 3
    assert [r.code for r in records if isinstance(r, Refusal)] == ["time_invalid"]
