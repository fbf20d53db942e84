"""The few HTML builders the report is written with: every data value escaped where it
enters, so that no untrusted text (a post, a file name, a handle) reaches the page as markup
(DESIGN rule 6).  Markup is HTML already built here; anything else is text.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape


class Markup(str):
    """HTML that is safe as it is: built here, every data value in it escaped."""

    __slots__ = ()

    def __add__(self, other: str) -> Markup:
        """Markup + text stays Markup, the text escaped; a plain ``str +`` would not."""
        return Markup(str.__add__(self, esc(other)))


def esc(value: object) -> Markup:
    """A value as HTML text: Markup passes, None is empty, everything else is escaped."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(escape(str(value), quote=True))


def el(tag: str, *children: object, cls: str = "", **attrs: object) -> Markup:
    """``<tag class=... attr=...>children</tag>``; tag and attribute names are ours,
    values and children are escaped (unless Markup)."""
    head = tag + (f' class="{esc(cls)}"' if cls else "")
    head += "".join(f' {name.rstrip("_")}="{esc(v)}"' for name, v in attrs.items())
    return Markup(f"<{head}>{join(children)}</{tag}>")


def join(parts: Iterable[object]) -> Markup:
    return Markup("".join(esc(p) for p in parts))


def table(headers: Iterable[str], rows: Iterable[Iterable[object]], cls: str = "") -> Markup:
    head = el("tr", *(el("th", h) for h in headers))
    body = join(el("tr", *(el("td", c) for c in row)) for row in rows)
    return el("table", el("thead", head), el("tbody", body), cls=cls)


#: Values a list of pairs leaves out.
EMPTY: tuple[object, ...] = (None, "", [], {})


def dl(pairs: Iterable[tuple[str, object]]) -> Markup:
    """A definition list of the pairs whose value is not empty."""
    items = [el("dt", k) + el("dd", v) for k, v in pairs if v not in EMPTY]
    return el("dl", *items)


def lines(pairs: Iterable[tuple[str, object]]) -> Markup:
    """``label: value`` lines of the pairs whose value is not empty, as one text run.

    A sighting's place and evidence were definition lists, some twenty elements a row:
    at 100,000 sightings that made 4.5 million elements and a page Chromium did not finish
    laying out in four minutes.  Lines in a ``white-space: pre-line`` cell read the same
    and cost no element."""
    return Markup("\n".join(f"{esc(k)}: {esc(v)}" for k, v in pairs if v not in EMPTY))
