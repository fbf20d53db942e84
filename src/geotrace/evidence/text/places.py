"""Places named in a Russian or Ukrainian text: spans, what they are, and how the text uses them.

Run time is a regex tokeniser, dictionary look-ups of 1..max_words token n-grams in the
gazetteer's table of inflected forms (``geodata.names``: every case of every name was generated
at build time), and rules.  No NER model and no morphological analyser run here: natasha's
pipeline reads ~80 texts/s on one core and pymorphy3 ~140; issue 18 asks for >= 20x natasha,
which only table look-ups reach (``tests/evidence/test_text_places.py`` measures the corpus).

What the rules do, in order:

1. features first: a name after "река/улица/аэродром/остров/..." or before "море/площади/
   АЭС/мосту/районам" is a feature, and its words are no place (улица Героев Украины names
   no country); a plural feature word heads a list ("в городских округах Домодедово,
   Раменское и Коломна", "на Чорному та Азовському морях");
2. the longest n-gram starting at a capitalised token (or an all-caps abbreviation: РФ, ДНР)
   whose key is a gazetteer form; a lowercase one only for an admin-1 adjective before
   "области/края/..." ("донецкой области");
3. filters (``placefilter.py``): admin-1 adjectives need their noun (or an elliptic list
   "Донецкой и Луганской областях", which may hold full names: "Татарстан, Брянскую и
   Калужскую области"); ordinary words (Победа, Мирный) need a placing preposition, a
   region's adjective after it ("в подмосковном Раменском") or a settlement word; an
   adjective-shaped name before a lowercase noun that agrees with it is that noun's
   adjective ("Центрального банка", "Українська армія"); plural demonyms at a sentence
   start are people ("Українці!"); person names (Шевченко, Ольга) need a preposition and
   no name beside them; Latin words and acronyms count only as countries / home regions; a
   name alone in quotes or quoted after an organisation word («Азов», ФК «Шахтер»; but a
   country's genitive: «Ветераны России»), links, and anything inside the caller's
   ``exclude`` spans (unit names) is no place (``placetokens.py``); a quoted sentence
   («Россия будет свободной!») is text;
4. a capitalised word the gazetteer does not hold is kept as an unplaced settlement feature
   when a settlement word ("село Работино"), a "near" or capture phrase ("в районе
   Работино", "у Копанки", "взяли под контроль Новодмитровку"), a region's adjective ("в
   подмосковном Колычево") or an oblast after it says so;
5. the relation (``relation.py``) and the choice among homonyms (``resolve.py``).

The word lists are in ``placewords.py``, the words-before and feature helpers in
``placecontext.py``.  Measured on the gold set (``tests/evidence/data/text_gold.jsonl``,
``bench/text_scoring.py``): place P/R/F1 0.996/0.972/0.984 ru, 1.0/0.993/0.997 uk,
resolution 0.981 / 0.996, relation 0.942 / 0.977; ~3,100 texts/s on one core over the
shared corpus (mean 420 characters; ``test_speed_on_the_corpus``'s loop over all posts).

"Днепр": the city after "в/из/до/по", the river after "река", "на" + locative, "через",
"за", "берег" (war news says "на Днепре" of the river and "в Днепре" of the city)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Final

from geotrace.evidence.text import placewords as W
from geotrace.evidence.text.mention import Language, PlaceMention, Relation
from geotrace.evidence.text.placecontext import (
    context_before,
    cue_text,
    feature_hit,
    features_before,
    geo_adjective,
    settlement_word,
)
from geotrace.evidence.text.placefilter import areas_only, attributive, kept
from geotrace.evidence.text.placetokens import Blocked, Tokens, blocked, inside, tokenise
from geotrace.evidence.text.relation import reread
from geotrace.evidence.text.resolve import Hit, resolve
from geotrace.geodata.names import GENT, LOCT, Form, names, normalise


@dataclass(frozen=True, slots=True)
class PlaceContext:
    """What is known beyond the text: admin-1 codes / countries the same author named in nearby
    posts, weighted (0..1 each; a weight adds to the score of the candidates it names)."""

    admin1: Mapping[str, float] = field(default_factory=dict)
    countries: Mapping[str, float] = field(default_factory=dict)


#: Longest n-gram tried: the gazetteer holds keys of up to ~30 words (official long names),
#: but every war-news name seen in the corpus has at most 5 ("Ханты-Мансийский автономный
#: округ — Югра"); each extra word is a join and a look-up per capitalised token.
_MAX_WORDS: Final = 6


def find_places(
    text: str,
    lang: Language,
    context: PlaceContext | None = None,
    exclude: Sequence[tuple[int, int]] = (),
) -> tuple[PlaceMention, ...]:
    """Every place named in ``text``, in text order, resolved against the gazetteer.

    ``exclude`` are character spans of unit and formation names (батальйон «Айдар»): a name
    inside them is part of the unit's name, not a place.
    """
    tokens = tokenise(text)
    if not tokens.raw:
        return ()
    hits = _scan(tokens, lang, blocked(text, exclude))
    if not hits:
        return ()
    _inherit_lists(tokens, hits, lang)
    ctx = context or PlaceContext()
    return resolve(hits, names(), ctx.admin1, ctx.countries, lang, text)


def _scan(tokens: Tokens, lang: Language, spans: Blocked) -> list[Hit]:
    """Left-to-right longest match, features first."""
    hard, quoted = spans.either, spans.quoted
    gz = names()
    keys, raw, n = tokens.keys, tokens.raw, len(tokens.raw)
    hits: list[Hit] = []
    i = 0
    while i < n:
        key = keys[i]
        if key in W.FEATURE_BEFORE:
            named = features_before(tokens, i, lang)
            if named is not None:
                hits.extend(h for h in named[1] if not inside(hard, h.start, h.end))
                i = named[0]
                continue
        first = raw[i][0]
        if (
            key in W.FEATURE_NAMES
            and first.isupper()
            and not (i > 0 and keys[i - 1] in ("в", "во", "из", "с"))  # a village Садовое
            and not (
                i + 1 < n and tokens.plain[i] and raw[i + 1].islower() and keys[i + 1] not in W.STOP
            )
        ):
            if not inside(hard, tokens.starts[i], tokens.ends[i]):
                hits.append(feature_hit(tokens, i, i + 1, W.FEATURE_NAMES[key], lang, i))
            i += 1
            continue
        if key in W.STOP or (i > 1 and keys[i - 2] in W.SUBSCRIBE and keys[i - 1] == "на"):
            i += 1
            continue
        if not first.isupper() and not (
            i + 1 < n and tokens.plain[i] and (keys[i + 1] in W.ADMIN_NOUN or keys[i + 1] in W.CONJ)
        ):
            i += 1
            continue
        if i + 1 < n and first.isupper() and key not in W.GENERIC_ADJ and _adjective_like(key):
            shared = _features_after(tokens, i, lang)
            if shared:
                hits.extend(h for h in shared if not inside(hard, h.start, h.end))
                i = shared[-1].last + 1
                continue
        if i + 1 < n and (keys[i + 1] in W.CONJ or tokens.text[tokens.ends[i]] == ","):
            listed = _admin_list(tokens, i, lang)
            if listed is not None:
                hits.extend(h for h in listed if not inside(hard, h.start, h.end))
                i = listed[-1].last + 1
                continue
        stop, form = _longest(tokens, i, gz.lookup, min(gz.max_words, _MAX_WORDS))
        if form is None and "-" in key and first.isupper():
            route = _route(tokens, i)
            if route:
                hits.extend(h for h in route if not inside(hard, h.start, h.end))
                i += 1
                continue
        if form is None and _unknown_pair(tokens, i):
            # "в сторону Малой Локни": an adjective the gazetteer lacks before a name it
            # has is one name it lacks, not the Lokni of Pskov oblast
            pair = feature_hit(tokens, i, i + 2, "settlement", lang, i)
            if not inside(hard, pair.start, pair.end):
                hits.append(pair)
            i += 2
            continue
        if form is None:
            hit = _unknown_settlement(tokens, i, lang, hits[-1] if hits else None)
            if hit is not None and not inside(hard, hit.start, hit.end):
                hits.append(hit)
            i += 1
            continue
        span = (tokens.starts[i], tokens.ends[stop - 1])
        if (inside(hard, *span) and not _org_country(spans, span, form)) or (
            inside(quoted, *span) and not areas_only(form)
        ):
            i = stop
            continue
        if not first.isupper() and not (form.adjectival or keys[stop - 1] in W.ADMIN_NOUN):
            i += 1
            continue
        stop = _same_place(tokens, stop, form)
        hit = _place(tokens, i, stop, form, lang, hits[-1] if hits else None)
        if hit is not None:
            hits.append(hit)
        i = max(stop, hit.last + 1) if hit is not None else stop
    return hits


def _org_country(spans: Blocked, span: tuple[int, int], form: Form) -> bool:
    """ "фонд «Ветераны России»": a country inside an organisation's quoted name is still
    named (issue 18: "except where the organisation names a country"); a unit's is not."""
    if inside(spans.hard, *span) or not inside(spans.org, *span) or not form.cases & GENT:
        return False
    if spans.org.begins(span[0]):
        return False  # «Россия 1», «Справедливая Россия» (nominative): a name, not "of Russia"
    gz = names()
    return all(gz.place(ix).kind == "country" for ix in form.places)


def _longest(tokens: Tokens, i: int, lookup: object, max_words: int) -> tuple[int, Form | None]:
    """The longest n-gram from token i whose key is a gazetteer form (words touching)."""
    keys, plain = tokens.keys, tokens.plain
    top = i + 1
    while top < len(keys) and top - i < max_words and plain[top - 1]:
        top += 1
    for stop in range(top, i, -1):
        form = lookup(" ".join(keys[i:stop]) if stop > i + 1 else keys[i])  # type: ignore[operator]
        if form is not None:
            return stop, form
    return i + 1, None


def _adjective_like(key: str) -> bool:
    """Whether a capitalised word before "море/района/парк" is an adjective ("Черном",
    "Почепском", "Центральный"), not a noun ("Глава района")."""
    return bool(W.ADJECTIVE.search(key)) or (
        len(key) > 4 and key.endswith((*W.ADJ_ENDS, *W.UK_ADJ_ENDS))
    )


def _features_after(tokens: Tokens, i: int, lang: Language) -> list[Hit]:
    """Capitalised adjectives before the noun that makes them a feature ("Черное море",
    "Каширском шоссе", "Запорізьку атомну станцію", "Раменского городского округа"), one
    feature each when several share a plural noun ("на Чорному та Азовському морях", "по
    Холодногорскому и Новобаварскому районам")."""
    keys, n = tokens.keys, len(tokens.keys)
    members = [i]
    k = i
    # At most _MAX_LIST names: a longer run is not one list, and an unbounded walk from
    # every word made "Донецкой и Донецкой и ..." (20,000 times) take 120 s.
    while (
        len(members) <= _MAX_LIST
        and k + 2 < n
        and tokens.capital(k + 2)
        and _adjective_like(keys[k + 2])
    ):
        gap = tokens.text[tokens.ends[k] : tokens.starts[k + 1]].strip()
        if keys[k + 1] in W.CONJ and tokens.plain[k] and tokens.plain[k + 1]:
            k += 2
        elif gap == "," and tokens.capital(k + 1) and _adjective_like(keys[k + 1]):
            k += 1
        else:
            break
        members.append(k)
    if k + 1 >= n or not tokens.plain[k]:
        return []
    noun = keys[k + 1]
    stop = k + 2
    kind = W.FEATURE_AFTER.get(noun) or ("district" if noun in W.RAION else "")
    if noun.startswith(W.OKRUG_ADJ) and k + 2 < n and keys[k + 2].startswith(("округ", "окруз")):
        kind, stop = "district", k + 3
    elif kind == "plant" and stop < n and tokens.plain[k + 1] and keys[stop] in W.PLANT_NOUN:
        stop += 1  # "Запорізьку атомну станцію"
    if not kind or (len(members) > 1 and noun not in W.FEATURE_PLURAL_AFTER):
        return []
    hits = [feature_hit(tokens, j, j + 1, kind, lang, j) for j in members[:-1]]
    return [*hits, feature_hit(tokens, k, stop, kind, lang, k)]


def _same_place(tokens: Tokens, stop: int, form: Form) -> int:
    """ "Сполучених Штатів Америки": a next word naming the same country joins the span;
    "Северной Осетии – Алании": a dash joins the two parts of one admin-1 name."""
    keys = tokens.keys
    if stop >= len(keys) or not tokens.capital(stop) or not areas_only(form):
        return stop
    gap = tokens.text[tokens.ends[stop - 1] : tokens.starts[stop]].strip()
    if tokens.plain[stop - 1] or gap in ("-", "–", "—"):
        nxt = names().lookup(keys[stop])
        if nxt is not None and set(nxt.places) & set(form.places):
            return stop + 1
    return stop


def _route(tokens: Tokens, i: int) -> list[Hit]:
    """ "рейс Бухара-Москва", "дорогу Суджа-Коренево": a hyphenated pair of place names is
    one mention per place; a flight or a train goes from the first to the last."""
    gz = names()
    parts = tokens.raw[i].split("-")
    if len(parts) != 2 or not all(p[:1].isupper() and p[0] >= "\u0400" for p in parts):
        return []  # "Mercedes-Benz" is no route
    forms = [gz.lookup(normalise(p)) for p in parts]
    if any(f is None or f.common or f.person for f in forms):
        return []
    trip = i > 0 and tokens.keys[i - 1] in W.TRIP
    hits = []
    start = tokens.starts[i]
    relations: tuple[Relation, Relation] = ("from", "to") if trip else ("unknown", "unknown")
    for part, form, rel in zip(parts, forms, relations, strict=True):
        assert form is not None
        hits.append(
            Hit(
                start=start,
                end=start + len(part),
                last=i,
                text=part,
                form=form,
                kind_hint="",
                relation=rel,
                cue=tokens.raw[i - 1] if trip else "",
                cue_token=i - 1 if trip else i,
                phrase=(),
            )
        )
        start += len(part) + 1
    return hits


def _place(
    tokens: Tokens, i: int, stop: int, form: Form, lang: Language, prev: Hit | None
) -> Hit | None:
    """A gazetteer match, filtered; None when the rules say it names no place here.
    ``prev`` is the hit before: a list member after a settlement a preposition placed
    shares that preposition ("біля Роботиного та Вербового")."""
    keys = tokens.keys
    last = stop - 1
    kind_hint = ""
    # "Донецкой области" may itself be a key: the noun makes it an admin-1 unit, whatever
    # the adjective's flags say
    admin_span = stop - i > 1 and keys[stop - 1] in W.ADMIN_NOUN
    if admin_span:
        kind_hint = "admin1"
    elif form.adjectival and not _adjective_alone(tokens, stop, form):
        noun = _admin_noun_after(tokens, stop)
        if noun is None:
            if not (stop < len(keys) and tokens.plain[stop - 1] and keys[stop] in W.ADMIN_ADJ):
                return None
            noun = stop - 1  # "Днепропетровской областной администрации": the adjective
        last, kind_hint = noun, "admin1"
        admin_span = True
    elif form.adjectival:
        kind_hint = "settlement"  # "у Мінську": the city; "Мінську область" would be above
    elif (
        stop < len(keys)
        and tokens.plain[stop - 1]
        and keys[stop] in W.ADMIN_NOUN
        and keys[stop] not in W.RAION
    ):
        last, kind_hint = stop, "admin1"
    rel, cue, phrase, settled, direct = context_before(tokens, i, form.cases, lang)
    # a preposition that places ("в", "под", "по"), not one that a person takes ("от Ильи",
    # "с Пейном"), is what lets an ordinary word or a name through
    prep = rel != "unknown" or phrase in W.PLACING
    if (
        not prep
        and prev is not None
        and prev.phrase
        and _listed(tokens, i, prev, any_kind=True)
        and not (prev.last == i - 1 and _runs_on(tokens, stop))
    ):
        prep = reread(prev.phrase, form.cases, lang) != "unknown" or prev.phrase in W.PLACING
    if settled:
        kind_hint = "settlement"
        if (
            stop < len(keys)
            and tokens.plain[stop - 1]
            and tokens.capital(stop)
            and not W.ADJECTIVE.search(keys[stop])
            and names().lookup(keys[stop]) is None
        ):
            # "села Горный Дзуарикау": the gazetteer knows a part, not the village
            return feature_hit(tokens, i, stop + 1, "settlement", lang, i)
    if not (admin_span or settled) and not kept(tokens, i, stop, form, prep, direct, lang):
        return None
    if keys[i] in W.DNIPRO and stop == i + 1 and _river_context(tokens, i, form):
        return feature_hit(tokens, i, stop, "river", lang, i)
    start = tokens.starts[i]
    if i > 0 and keys[i - 1] in W.REPUBLIC and tokens.plain[i - 1] and tokens.capital(i - 1):
        start = tokens.starts[i - 1]  # "Республика Крым" is one mention
        if cue == i:
            rel, cue, phrase, settled, _ = context_before(tokens, i - 1, form.cases, lang)
    end = tokens.ends[last] + (1 if keys[last] == "обл" and tokens.dot_after(last) else 0)
    return Hit(
        start=start,
        end=end,
        last=last,
        text=tokens.text[start:end],
        form=form,
        kind_hint=kind_hint,
        relation=rel,
        cue=cue_text(tokens, cue, i),
        cue_token=cue,
        phrase=phrase,
        doubtful=(form.common or form.person) and not (prep or settled or admin_span),
        admin1_hint=_admin_adjective(tokens, cue, i),
    )


def _adjective_alone(tokens: Tokens, stop: int, form: Form) -> bool:
    """Whether an admin-1 adjective form stands without its noun and also names a
    settlement ("у Мінську" is Minsk; "Мінську область" is the oblast)."""
    if _admin_noun_after(tokens, stop) is not None:
        return False
    if stop < len(tokens.keys) and tokens.plain[stop - 1] and tokens.keys[stop] in W.ADMIN_ADJ:
        return False
    gz = names()
    return any(gz.place(ix).kind == "settlement" for ix in form.places)


def _admin_adjective(tokens: Tokens, lo: int, i: int) -> str | None:
    """The admin-1 unit an adjective between cue and name names ("в районе курской
    Новоивановки"): it places the village as "Курской области" after it would."""
    gz = names()
    for k in range(lo, i):
        form = gz.lookup(tokens.keys[k]) if tokens.raw[k].islower() else None
        if form is None:
            continue
        # lower case: not the settlement a form may also name (Kurskaya for "курской")
        codes = {p.admin1 for p in map(gz.place, form.places) if p.kind == "admin1"}
        if len(codes) == 1:
            return codes.pop()
    return None


def _admin_noun_after(tokens: Tokens, stop: int) -> int | None:
    """The token of the admin-1 noun right after an adjective ending at ``stop``, if any."""
    if stop < len(tokens.keys) and tokens.plain[stop - 1] and tokens.keys[stop] in W.ADMIN_NOUN:
        return stop
    return None


def _admin_list(tokens: Tokens, i: int, lang: Language) -> list[Hit] | None:
    """ "в Донецкой и Луганской областях", "у Київській, Харківській та Луганській областях":
    adjectives joined by commas and a conjunction, one plural noun after the last.  Each
    adjective is looked up alone (Russian adjectival forms) or with the noun in the singular
    ("київській області"): the gazetteer holds singular phrases only."""
    keys, text, n = tokens.keys, tokens.text, len(tokens.keys)
    members = [i]
    k = i
    while len(members) <= _MAX_LIST:
        if k + 1 >= n:
            return None
        if keys[k + 1] in W.ADMIN_NOUN and tokens.plain[k]:
            break
        if text[tokens.ends[k] : tokens.starts[k + 1]].strip() == ",":
            k += 1
        elif keys[k + 1] in W.CONJ and tokens.plain[k] and k + 2 < n and tokens.plain[k + 1]:
            k += 2
        else:
            return None
        members.append(k)
    else:
        return None
    if len(members) < 2:
        return None
    noun = k + 1
    # "в Татарстан, Владимирскую, Брянскую, Удмуртию ... и Московскую области": full names
    # of admin-1 units may stand among the adjectives, not last (the noun is the last's)
    forms = [_admin_form(keys[j], keys[noun], j == members[-1]) for j in members]
    if any(f is None for f in forms):
        return None
    hits = []
    for j, form in zip(members, forms, strict=True):
        assert form is not None
        last = noun if j == members[-1] else j
        rel, cue, phrase, _, _ = context_before(tokens, j, form.cases, lang)
        start, end = tokens.starts[j], tokens.ends[last]
        hits.append(
            Hit(
                start=start,
                end=end,
                last=last,
                text=text[start:end],
                form=form,
                kind_hint="admin1",
                relation=rel,
                cue=cue_text(tokens, cue, j),
                cue_token=cue,
                phrase=phrase,
            )
        )
    return hits


#: At most this many adjectives in one list (a longer run is not one).
_MAX_LIST: Final = 12


def _admin_form(adjective: str, noun: str, last: bool) -> Form | None:
    """The admin-1 form of ``adjective`` before a plural admin noun, or None; a member
    before the last may be an admin-1 unit's own name (no city of 50k shares it)."""
    gz = names()
    form = gz.lookup(adjective)
    if form is not None and form.adjectival:
        return form
    if form is not None and not last and not form.common and not form.person:
        places = [gz.place(ix) for ix in form.places]
        if any(p.kind == "admin1" for p in places) and not any(
            p.kind == "settlement" and p.population >= 50_000 for p in places
        ):
            return form
    for singular in W.SINGULAR.get(noun[:4], ()):
        form = gz.lookup(f"{adjective} {singular}")
        if form is not None and areas_only(form):
            return form
    return None


def _river_context(tokens: Tokens, i: int, form: Form) -> bool:
    """ "на Днепре", "через Днепр", "берег Дніпра": the river named like the city of Dnipro."""
    if i == 0 or not tokens.plain[i - 1]:
        return False
    before = tokens.keys[i - 1]
    if before in W.RIVER_CUE:
        return True
    return before == "на" and bool(form.cases & LOCT)


def _unknown_settlement(tokens: Tokens, i: int, lang: Language, prev: Hit | None) -> Hit | None:
    """A capitalised word the gazetteer lacks, kept as a settlement feature when a settlement
    word, a "near" phrase or a capture phrase introduces it (front-line villages: "в районе
    Работино", "взяли под контроль Новодмитровку"), or when it continues a list a settlement
    word opened ("сёла Мартыновка и Пушкарное")."""
    if not tokens.capital(i) or tokens.raw[i][0] < "\u0400":
        return None  # "с зарубежных IP-адресов": a Latin word names no village here
    settle = settlement_word(tokens, i)
    if tokens.raw[i].isupper() and settle is None:
        return None
    if settle is not None and settle[0] > 0 and tokens.keys[settle[0] - 1] in W.TITLES:
        return None  # "глава города Вилкул", "мэр города Лях": a person
    keys, n = tokens.keys, len(tokens.keys)
    if settle is None and not _admin_after(tokens, i):
        if keys[i] in W.NOT_TOPONYM or not W.TOPONYM_END.search(keys[i]):
            return None
        if not (_introduced(tokens, i) or _listed(tokens, i, prev) or _placed_after(tokens, i)):
            return None
        if attributive(tokens, i):
            return None  # "под Лефортовским мостом": an adjective before its noun
    last = i
    # "село Старые Терны", not "в селе Маслово Джанкойского района"
    while (
        last + 1 < n
        and last - i < 2
        and tokens.plain[last]
        and tokens.capital(last + 1)
        and not W.ADJECTIVE.search(keys[last + 1])
        and names().lookup(keys[last + 1]) is None
    ):
        last += 1
    start, end = tokens.starts[i], tokens.ends[last]
    # Russian "у Копанки" is the front-line genitive ("near"), as for a known name
    cases = GENT if lang == "ru" and keys[i - 1] == "у" else 0
    rel, cue, phrase, _, _ = context_before(tokens, i, cases, lang)
    return Hit(
        start=start,
        end=end,
        last=last,
        text=tokens.text[start:end],
        form=None,
        kind_hint="settlement",
        relation=rel,
        cue=cue_text(tokens, cue, i),
        cue_token=cue,
        phrase=phrase,
        feature="settlement",
    )


def _unknown_pair(tokens: Tokens, i: int) -> bool:
    """Whether token i is a capitalised adjective the gazetteer lacks, inside a sentence,
    after a preposition, before a settlement name it has ("в сторону Малой Локни", "к
    Великой Новоселке")."""
    keys = tokens.keys
    if i + 1 >= len(keys) or not tokens.plain[i] or not tokens.capital(i + 1):
        return False
    if tokens.sentence_start(i) or not W.ADJECTIVE.search(keys[i]) or keys[i] in W.STOP:
        return False
    nxt = names().lookup(keys[i + 1])
    if nxt is None or areas_only(nxt):
        return False
    # a preposition or a capture phrase before it: "Дмитрий Песков" is no village
    return bool(context_before(tokens, i, 0, "ru")[2]) or _introduced(tokens, i)


def _placed_after(tokens: Tokens, i: int) -> bool:
    """ "у Копанки на харьковском направлении", "в подмосковном Колычево": an unknown name
    after "у" with a settlement's ending, or after a preposition and a region's adjective."""
    keys, plain = tokens.keys, tokens.plain
    if i < 2 or tokens.sentence_start(i) or not plain[i - 1]:
        return False
    if keys[i - 1] == "у":
        # and no verb right after: "у Бьянки развивался" is a possessor (a cat)
        after = i + 1 < len(keys) and plain[i] and keys[i + 1] not in W.STOP
        return not after and bool(W.AT_U_END.search(keys[i]))
    return plain[i - 2] and keys[i - 2] in W.PLACING_PREP and geo_adjective(keys[i - 1])


def _introduced(tokens: Tokens, i: int) -> bool:
    """Whether a "near" or a capture phrase ends right before token i."""
    keys, plain = tokens.keys, tokens.plain
    return any(
        i >= len(p) and all(plain[i - len(p) : i]) and tuple(keys[i - len(p) : i]) == p
        for p in W.SETTLEMENT_INTRO
    )


def _runs_on(tokens: Tokens, stop: int) -> bool:
    """Whether a lowercase word (not a function word) follows a name ending at ``stop``:
    after a comma the name then starts a clause ("в Южную Корею, Чан наткнулся", "центр
    Москвы, Дом правительства"), it does not continue a list."""
    return (
        stop < len(tokens.keys)
        and tokens.plain[stop - 1]
        and tokens.raw[stop].islower()
        and tokens.keys[stop] not in W.STOP
    )


def _listed(tokens: Tokens, i: int, prev: Hit | None, any_kind: bool = False) -> bool:
    """Whether token i continues a list of settlements ("Мартыновка и Пушкарное"), or with
    ``any_kind`` of any places but features ("в Донецке и Мирном")."""
    if prev is None:
        return False
    if any_kind:
        if prev.feature not in (None, "settlement"):
            return False
    elif not (prev.feature == "settlement" or prev.kind_hint == "settlement"):
        return False
    keys, plain, last = tokens.keys, tokens.plain, prev.last
    if last == i - 2:
        return keys[i - 1] in W.CONJ and plain[i - 2] and plain[i - 1]
    return last == i - 1 and tokens.text[tokens.ends[last] : tokens.starts[i]].strip() == ","


def _admin_after(tokens: Tokens, i: int) -> bool:
    """ "Копанки в Харьковской области", "Романовку в ДНР": an unknown capitalised word with a
    settlement ending, inside a sentence, right before "в/у" + an admin-1 unit."""
    keys, n = tokens.keys, len(tokens.keys)
    if (
        i + 2 >= n
        or keys[i + 1] not in ("в", "у", "во")
        or not (tokens.plain[i] and tokens.plain[i + 1])
    ):
        return False
    if tokens.sentence_start(i) or not W.SETTLEMENT_END.search(keys[i]):
        return False
    gz = names()
    form = gz.lookup(keys[i + 2])
    if form is None:
        return False
    if form.adjectival:
        return i + 3 < n and keys[i + 3] in W.ADMIN_NOUN
    return all(gz.place(ix).kind in ("admin1", "region") for ix in form.places)


def _inherit_lists(tokens: Tokens, hits: list[Hit], lang: Language) -> None:
    """ "из Харькова и Сум", "в Донецкой и Луганской областях": a name joined to the one
    before it by a conjunction or a comma shares that one's preposition, read against its
    own cases."""
    text = tokens.text
    for k, (prev, hit) in enumerate(pairwise(hits)):
        if hit.phrase or not prev.phrase:
            continue
        gap = text[prev.end : hit.start].strip().lower()
        if gap in ("", "(") and hit.form is not None:
            # "в Чапаевске Самарской области", "в Лазаревском районе Сочи": a genitive
            # placing the name before it shares its relation
            hit.relation, hit.cue, hit.phrase = prev.relation, prev.cue, prev.phrase
            continue
        if gap not in W.CONJ and gap not in (",", ", и", ", і", ", та"):
            continue
        if k > 0 and text[hits[k - 1].end : prev.start].strip().lower() in ("в", "у", "во"):
            continue  # "Новодаровку в Запорожской области и Романовку": "в" placed the first
        cases = hit.form.cases if hit.form is not None else 0
        hit.relation = reread(prev.phrase, cases, lang)
        hit.cue = prev.cue
        hit.phrase = prev.phrase
