"""One text read whole: its language, then units (so that a place inside a unit's name is
not taken for a place), places and casualty cues.

The finders are rules and look-ups over a gazetteer of every inflected name form built at
build time (``scripts/build_names.py``): no model and no morphology run here, so that a post
costs tens of microseconds (``bench/text.py`` measures it beside natasha's pipeline).
"""

from __future__ import annotations

from geotrace.evidence.text.casualty import find_casualty
from geotrace.evidence.text.language import language
from geotrace.evidence.text.mention import TextReading
from geotrace.evidence.text.places import PlaceContext, find_places
from geotrace.evidence.text.units import find_units

#: Characters read of one text.  Platforms cap a post at 4,096 (Telegram) to 16,384 (VK)
#: characters; a longer "post" is a pasted document or a hostile input, and its first
#: 200,000 characters are what a reader of the post would see anyway.
MAX_CHARS = 200_000


def read_text(text: str, context: PlaceContext | None = None) -> TextReading:
    """Everything the text names: offsets index ``text`` itself (the first ``MAX_CHARS``)."""
    text = text[:MAX_CHARS]
    if not text.strip():
        return TextReading("other")
    lang = language(text)
    units = find_units(text)
    places = find_places(text, lang, context, exclude=[(u.start, u.end) for u in units])
    return TextReading(lang, places, units, find_casualty(text))
