"""Ordering a picture's appearances when clocks disagree, and grouping copies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from geotrace.analysis.provenance import (
    Appearance,
    CopyEdge,
    groups,
    held_only_inside,
    order,
    uncertainty_for,
)

T0 = datetime(2014, 7, 17, 13, 20, tzinfo=UTC)


def _post(post_id: str, at: datetime | None, basis: str, u: float | None) -> Appearance:
    return Appearance("post", "a" * 64, at, basis, u, "vk", post_id, "vk:1", "x")


def test_an_exact_clock_does_not_outrank_a_window_that_may_be_earlier() -> None:
    """A VK post at 13:20 UTC exactly, a Telegram message read from an exporter's wall
    clock of unknown zone that says 15:20 (true instant anywhere +-14 h), and a later
    exact repost: the first by window opening is the Telegram message, and the VK post
    is named as "could be first", not ranked second as if the clocks were comparable."""
    exact = _post("vk-1", T0, "platform_utc", 0.0)
    wide_s = uncertainty_for("unknown_zone", None)
    wide = _post("tg-7", T0 + timedelta(hours=2), "unknown_zone", wide_s)
    repost = _post("vk-2", T0 + timedelta(days=5), "platform_utc", 0.0)
    ordered = order([repost, exact, wide])
    assert ordered.first == wide
    assert ordered.undetermined == (exact,)
    assert [a.post_id for a in ordered.appearances] == ["tg-7", "vk-1", "vk-2"]
    # The repost's delay after the first is 4 d 22 h, give or take the first's 14 h.
    assert ordered.delays[2] == ((5 * 24 - 2) * 3600.0, 14 * 3600.0)


def test_exact_clocks_order_without_doubt_and_untimed_posts_come_last() -> None:
    first = _post("1", T0, "platform_utc", 0.0)
    later = _post("2", T0 + timedelta(seconds=90), "date_unixtime", 0.0)
    untimed = _post("3", None, "unknown_zone", None)
    ordered = order([untimed, later, first])
    assert ordered.first == first
    assert ordered.undetermined == ()
    assert ordered.appearances[-1] == untimed
    assert ordered.delays == ((0.0, 0.0), (90.0, 0.0), None)


def test_capture_times_within_their_uncertainty_leave_the_order_open() -> None:
    """A photo's own capture time with a 1 h DST ambiguity (location time zone) and a post
    40 minutes after it: the post may be the first appearance, and is said to be."""
    capture = Appearance("capture", "b" * 64, T0, "location_timezone", 3600.0)
    post = _post("p", T0 + timedelta(minutes=40), "platform_utc", 0.0)
    ordered = order([post, capture])
    assert ordered.first == capture
    assert ordered.undetermined == (post,)


def test_nothing_timed() -> None:
    ordered = order([_post("x", None, "unknown_zone", None)])
    assert ordered.first is None and ordered.delays == (None,)


def test_groups_join_chains_and_keep_other_shots_apart() -> None:
    """A~B (caption) and B~C (crop) make one group; D, another shot of A's scene, stays
    alone; E has no edge."""
    edges = [
        CopyEdge("A", "B", "pdq", distance=12),
        CopyEdge("B", "C", "local_features"),
        CopyEdge("A", "D", "local_features", relation="same_scene_other_shot"),
    ]
    assert groups(["E", "D", "C", "B", "A"], edges) == [["A", "B", "C"], ["D"], ["E"]]


def test_posts_read_off_one_clock_keep_their_order_and_exact_delays() -> None:
    """Two messages of one Telegram export whose zone is unknown (+-14 h each) are 14 s
    apart on the exporter's clock: that order is certain, and the delay is 14 s exactly,
    while a post on another clock inside the window is still "could be first"."""
    wide = uncertainty_for("unknown_zone", None)
    first = Appearance("post", "c" * 64, T0, "unknown_zone", wide, "telegram", "4721", clock="doc")
    second = Appearance(
        "post",
        "c" * 64,
        T0 + timedelta(seconds=14),
        "unknown_zone",
        wide,
        "telegram",
        "4725",
        clock="doc",
    )
    other = _post("vk-9", T0 + timedelta(hours=3), "platform_utc", 0.0)
    ordered = order([other, second, first])
    assert ordered.first == first
    assert ordered.undetermined == (other,)
    assert ordered.delays[1] == (14.0, 0.0)
    assert ordered.delays[2] == (3 * 3600.0, wide)


def test_a_composite_does_not_make_the_two_views_it_shows_copies_of_each_other() -> None:
    """F is a figure showing view L and view R side by side: the pixel check calls F a
    copy of each, and L and R other shots of one scene.  L keeps its copy Lq; R stays
    apart from them, whatever the order the edges come in."""
    edges = [
        CopyEdge("L", "Lq", "pdq", distance=4),
        CopyEdge("F", "L", "local_features", detail={"ncc": 0.97}),
        CopyEdge("F", "R", "local_features", detail={"ncc": 0.95}),
        CopyEdge("L", "R", "local_features", relation="same_scene_other_shot", detail={"ncc": 0.2}),
    ]
    for ordered in (edges, edges[::-1]):
        assert groups(["F", "L", "Lq", "R"], ordered) == [["F", "L", "Lq"], ["R"]]


def test_a_file_held_only_inside_composites_is_named_for_a_direct_check() -> None:
    """R joined the group only as a part of two composite figures (F, G); L and its copy
    Lq are joined directly; F shows L beside R.  R is the one to check against the core
    (L, the file with most edges); L itself and Lq are not doubted."""
    inside = {"a_in_b": 1.0, "b_in_a": 0.45}
    edges = [
        CopyEdge("L", "Lq", "pdq", distance=4),
        CopyEdge("L", "F", "local_features", detail=inside),
        CopyEdge("L", "G", "local_features", detail=inside),
        CopyEdge("R", "F", "local_features", detail=inside),
        CopyEdge("G", "R", "pdq", distance=20, detail={"regions": ["content", "frame"]}),
    ]
    assert held_only_inside(["F", "G", "L", "Lq", "R"], edges) == ("L", ["R"])
    # Seen the other way round, a frame matched inside a content box is not "inside".
    swapped = [
        *edges[:4],
        CopyEdge("G", "R", "pdq", distance=20, detail={"regions": ["frame", "content"]}),
    ]
    assert held_only_inside(["F", "G", "L", "Lq", "R"], swapped) == ("L", [])


def test_a_poor_correlation_over_a_strong_fit_is_no_vote_against_a_copy() -> None:
    """S is its source A under four stickers: against A's reposts T and U it correlates
    0.40-0.44 over 65-173 matching keypoints, which is a covered picture, not another
    shot; W, a poor correlation over 21 keypoints (another viewpoint), is kept out."""

    def shot(a: str, b: str, ncc: float, inliers: int) -> CopyEdge:
        detail = {"ncc": ncc, "inliers": inliers}
        return CopyEdge(a, b, "local_features", "same_scene_other_shot", None, detail)

    copies = [
        CopyEdge("A", "T", "pdq", distance=6),
        CopyEdge("A", "U", "pdq", distance=9),
        CopyEdge("A", "S", "local_features", detail={"ncc": 0.44, "inliers": 389}),
        CopyEdge("A", "W", "local_features", detail={"ncc": 0.85, "inliers": 70}),
    ]
    others = [
        shot("S", "T", 0.44, 65),
        shot("S", "U", 0.40, 173),
        shot("T", "W", 0.2, 21),
        shot("U", "W", 0.3, 19),
    ]
    for edges in (copies + others, others + copies[::-1]):
        assert groups(["A", "S", "T", "U", "W"], edges) == [["A", "S", "T", "U"], ["W"]]


def test_parts_moved_keep_two_frames_apart_whatever_joins_them() -> None:
    """Frame F0 and its small repost P are copies; P also matches the next frame F10 (at
    480 px nothing moves); F0 against F10 shows parts moved, a veto however many copy
    edges the other side would bring: F10 stays out, whatever the order."""
    moved = {"ncc": 0.999, "inliers": 408, "parts_moved": True}
    edges = [
        CopyEdge("F0", "P", "local_features", detail={"ncc": 1.0}),
        CopyEdge("F10", "P", "local_features", detail={"ncc": 0.9988}),
        CopyEdge("F0", "F10", "local_features", "same_scene_other_shot", None, moved),
    ]
    for ordered in (edges, edges[::-1]):
        assert groups(["F0", "F10", "P"], ordered) == [["F0", "P"], ["F10"]]
