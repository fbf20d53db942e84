"""The words right before a place name (preposition, settlement word, one adjective or
head between) and the spans of features: shared by the scanner (``places.py``) and its list
rules, kept apart so that each module stays under the layout test's 700 lines."""

from __future__ import annotations

from typing import Final

from geotrace.evidence.text import placewords as W
from geotrace.evidence.text.mention import Language, Relation
from geotrace.evidence.text.placetokens import Tokens
from geotrace.evidence.text.relation import relation
from geotrace.evidence.text.resolve import Hit
from geotrace.geodata.names import ABLT, ACCS, DATV, GENT, LOCT, NOMN, names


def settlement_word(tokens: Tokens, i: int) -> tuple[int, int] | None:
    """(first token, case bits) of a settlement word right before token i, if any."""
    keys = tokens.keys
    for size in range(min(W.SETTLEMENT_MAX, i), 0, -1):
        lo = i - size
        words = tuple(keys[lo:i])
        if words in W.SETTLEMENT:
            abbr = words == ("н", "п")
            joined = all(tokens.plain[lo:i]) if not abbr else tokens.dot_after(i - 1)
            if joined:
                return lo, W.SETTLEMENT[words]
        if size == 1 and keys[lo] in W.SETTLEMENT_ABBR and _abbreviation(tokens, lo):
            return lo, 0
    return None


def _abbreviation(tokens: Tokens, k: int) -> bool:
    """Whether token k is a settlement abbreviation ("г. Донецк", "с. Победа"), not an
    initial ("Валерий Х. Никаких"), a unit ("2008 г.", "кв. м.", "м/с.") or "т. д."."""
    if not tokens.dot_after(k) or not tokens.raw[k].islower():
        return False
    if k == 0:
        return True
    before = tokens.text[tokens.ends[k - 1] : tokens.starts[k]]
    if any(c.isdigit() or c in "/-." for c in before) or tokens.keys[k - 1] in W.NOT_BEFORE_ABBR:
        return False
    return not tokens.capital(k - 1)


def context_before(
    tokens: Tokens, i: int, cases: int, lang: Language
) -> tuple[Relation, int, tuple[str, ...], bool, bool]:
    """Relation, cue start token, preposition phrase (``()`` if none), whether a settlement
    word stands right before token i, and whether the preposition touches the name (or its
    settlement word) rather than governing a word between them."""
    settle = settlement_word(tokens, i)
    first = i
    key = tokens.keys[i]
    if cases & ACCS and cases & LOCT and key.endswith(("у", "ю")) and not key.endswith("ьку"):
        # "на Одессу", "в Москву": the build's bits let some forms be both accusative and
        # locative; -у/-ю is the accusative, but for Ukrainian -ськ/-цьк towns' locative
        # ("у Мінську", "у Донецьку"); "в Крыму" carries no ACCS bit
        cases &= ~LOCT
    if settle is not None:
        first, cases = settle[0], settle[1] or cases
    text_before = tokens.text[max(0, tokens.starts[first] - 30) : tokens.starts[first]]
    rel, cue, phrase = relation(tokens.keys, tokens.plain, text_before, first, cases, lang)
    if phrase or first < 2 or not tokens.plain[first - 1]:
        return rel, cue, phrase, settle is not None, True
    word = tokens.keys[first - 1]
    if word in W.HEADS:
        # "на территории Брянской области", "в аэропорту Казани": the genitive takes the
        # place of its head
        cases = W.HEADS[word]
    elif not W.ADJECTIVE.search(word) or word in W.NOT_ADJECTIVE or word.endswith(W.NOUN_ENDS):
        return rel, cue, phrase, settle is not None, True
    # "в районе приграничного Рыльска": one adjective (or head) between preposition and name
    before = tokens.text[max(0, tokens.starts[first - 1] - 30) : tokens.starts[first - 1]]
    skipped = relation(tokens.keys, tokens.plain, before, first - 1, cases, lang)
    if not skipped[2]:
        return rel, cue, phrase, settle is not None, True
    # "в подмосковном Раменском": a region's adjective places the name as the preposition
    # would (the ordinary-word filter needs a preposition touching it, or this)
    return *skipped, settle is not None, geo_adjective(word)


def geo_adjective(key: str) -> bool:
    """Whether a lowercase word is the adjective of a region or of a position ("курском",
    "подмосковном", "прифронтовому"): between a preposition and a name it places the name."""
    if W.GEO_ADJECTIVE.match(key):
        return True
    form = names().lookup(key)
    return form is not None and form.adjectival


def cue_text(tokens: Tokens, cue: int, i: int) -> str:
    """The words from the first cue token up to the name (a settlement word included)."""
    if cue >= i:
        return ""
    return tokens.text[tokens.starts[cue] : tokens.ends[i - 1]]


def feature_hit(tokens: Tokens, i: int, stop: int, kind: str, lang: Language, intro: int) -> Hit:
    """A feature named by tokens i..stop-1; ``intro`` is the first token of its phrase (an
    adjective's ending gives the case of "в Черном море" / "в Середземне море")."""
    cases = _adjective_case(tokens.keys[intro]) if intro == i else 0
    rel, cue, phrase, _, _ = context_before(tokens, intro, cases, lang)
    start, end = tokens.starts[i], tokens.ends[stop - 1]
    return Hit(
        start=start,
        end=end,
        last=stop - 1,
        text=tokens.text[start:end],
        form=None,
        kind_hint="",
        relation=rel,
        cue=cue_text(tokens, cue, intro),
        cue_token=cue,
        phrase=phrase,
        feature=kind,
    )


def _adjective_case(word: str) -> int:
    """The case an adjective's ending shows (0 if it shows none)."""
    for ending, case in _ADJ_ENDINGS:
        if word.endswith(ending):
            return case
    return 0


#: Adjective endings and their case, longest first (feminine/neuter/masculine, ru and uk).
_ADJ_ENDINGS: Final = (
    ("ого", GENT), ("его", GENT), ("ому", LOCT | DATV), ("ему", LOCT | DATV),
    ("ом", LOCT), ("ем", LOCT), ("ім", LOCT), ("ій", LOCT), ("ой", GENT | LOCT),
    ("ое", NOMN | ACCS), ("ее", NOMN | ACCS), ("е", NOMN | ACCS), ("є", NOMN | ACCS),
    ("ым", ABLT), ("им", ABLT),
)  # fmt: skip


def feature_name(tokens: Tokens, i: int, abbr: bool) -> int:
    """The end of the capitalised name after a feature word (up to 3 touching words); a dot
    may stand between only after an abbreviation ("ул. Ленина", not "аэродром. За")."""
    stop = i
    while stop < len(tokens.raw) and stop - i < 3 and tokens.capital(stop):
        if stop > i and not tokens.plain[stop - 1]:
            break
        if stop == i and not tokens.plain[i - 1]:
            gap = tokens.text[tokens.ends[i - 1] : tokens.starts[i]].strip()
            if gap not in ("«", '"', "„", "“") and not (abbr and gap in (".", ". «")):
                break
        stop += 1
    return stop


def features_before(tokens: Tokens, i: int, lang: Language) -> tuple[int, list[Hit]] | None:
    """The features a feature word at token i names ("улице Душинской", "в аэропорту
    «Внуково»"; a plural heads a list: "в аэропортах Шереметьево, Домодедово и Жуковский",
    "в городских округах Домодедово, Раменское и Коломна"), and the token after them; None
    when no name follows."""
    keys = tokens.keys
    key = keys[i]
    kind = W.FEATURE_BEFORE[key]
    intro = i
    if key == "р" and not tokens.dot_after(i):
        return None
    if key.startswith(("округ", "окруз")):
        # a municipal district only after its adjective; "военным округом Муминджанов" no
        if i == 0 or not tokens.plain[i - 1] or not keys[i - 1].startswith(W.OKRUG_ADJ):
            return None
        intro = i - 1
    stop = feature_name(tokens, i + 1, key in W.FEATURE_ABBR)
    quoted = stop > i + 1 and not tokens.plain[i]
    if kind == "airfield" and stop == i + 2 and not quoted and _city_genitive(keys[i + 1]):
        return None  # "в аэропорту Казани": the city, read as a place by the scanner
    if stop == i + 1:
        return None
    hits = [feature_hit(tokens, i + 1, stop, kind, lang, intro)]
    while key in W.FEATURE_PLURAL and stop + 1 < len(keys):
        gap = tokens.text[tokens.ends[stop - 1] : tokens.starts[stop]].strip()
        nxt = stop + 1 if keys[stop] in W.CONJ and tokens.plain[stop - 1] else stop
        if not (gap == "," or nxt > stop) or not tokens.capital(nxt):
            break
        end = nxt + 1
        while end < len(keys) and end - nxt < 3 and tokens.plain[end - 1] and tokens.capital(end):
            end += 1
        member = feature_hit(tokens, nxt, end, kind, lang, nxt)
        first = hits[0]
        member.relation, member.cue, member.phrase = first.relation, first.cue, first.phrase
        hits.append(member)
        stop = end
    return stop, hits


def _city_genitive(key: str) -> bool:
    """Whether ``key`` is a place name in the genitive (the city or country of an airport:
    "в аэропорту Казани", "закрытием аэропорта Ирана")."""
    form = names().lookup(key)
    return form is not None and bool(form.cases & GENT)
