"""Frames sampled from a video, so that its pictures can be fingerprinted like stills.

A frame grabbed from a clip and posted as a photo, or a clip re-cut and re-encoded, is a
copy an investigator must find.  OpenCV (already the verification stage's dependency)
decodes through the FFmpeg its wheels bundle (LGPL, dynamically linked), so no system
FFmpeg is needed.  Frames are spread evenly over the clip (one per ``STEP_S`` seconds, at
most ``MOST``), taken in the middle of each span rather than at its start: first frames
are often black or a fade-in, and shared by unrelated clips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

STEP_S = 2.0
MOST = 16
#: Frames are scaled so that their short side is about this, as stills are decoded.
SHORT_SIDE = 256


def keyframes(path: Path) -> Iterator[tuple[float, Image.Image, tuple[int, int]]]:
    """(time in s, frame as a small RGB image, frame's full size) for the sampled frames;
    nothing for a file OpenCV cannot open (the caller records that)."""
    # FFmpeg reports every oddity of a hostile file on stderr, over the progress bars;
    # what matters (no frame) reaches the caller anyway.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")
    import cv2  # only videos need it; a case of photos never loads it

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            return
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
        duration = count / fps if fps > 0 and count > 0 else 0.0
        n = int(min(MOST, max(1, round(duration / STEP_S))))
        for i in range(n):
            at_s = round((i + 0.5) * duration / n, 3)
            if duration > 0:
                capture.set(cv2.CAP_PROP_POS_MSEC, at_s * 1000.0)
            ok, frame = capture.read()
            if not ok or frame is None or frame.ndim != 3:
                continue
            height, width = frame.shape[:2]
            image = Image.fromarray(np.ascontiguousarray(frame[:, :, ::-1]))
            scale = SHORT_SIDE / min(width, height)
            if scale < 1:
                image = image.resize(
                    (max(1, round(width * scale)), max(1, round(height * scale))),
                    Image.Resampling.BOX,
                )
            yield at_s, image, (width, height)
    finally:
        capture.release()
