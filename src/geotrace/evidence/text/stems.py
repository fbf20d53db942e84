"""One fast scan for "does this post hold any of these stems?", shared by the cue finders.

Most posts hold no unit and no casualty word, so each finder first looks for the literal
stems its patterns need and stops there when none is found.  Python's ``re`` tries every
branch of a flat alternation at every position; the same stems folded into a prefix tree
(``бригад|батал`` -> ``б(?:ригад|атал)``) are tried one letter at a time: over
``../shared/corpora/text/posts.jsonl`` the casualty stems took 9 µs a post as a tree
against 35 µs as a flat alternation (measured once when this was written; the finders'
overall speed is re-measured by ``bench/text_rules.py``).  No library does this for
``re`` without a dependency, and the function is a dozen lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_Tree = dict[str, "_Tree"]


def any_of(stems: Iterable[str]) -> re.Pattern[str]:
    """A pattern that matches wherever one of the literal ``stems`` starts.

    A stem that is a prefix of another makes the longer one redundant: the pattern only
    says where a stem is, not which.
    """
    tree: _Tree = {}
    for stem in stems:
        node = tree
        for char in stem:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: _Tree) -> str:
        if "" in node:
            return ""
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(emit(tree))
