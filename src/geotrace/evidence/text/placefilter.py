"""Which gazetteer matches name no place: ordinary words, people's names, Latin words and
acronyms, bare names of foreign villages.

GeoNames holds a village for almost any word ("Победа", "Шевченко", "Java", "МИД"); the
gazetteer build flags the forms that are also ordinary words or names (pymorphy3 at build
time), and these rules decide from the words around a match whether it is the place.  The
thresholds come from the corpus spot-checks reported in ``tests/evidence/test_text_places.py``
and the gold set (``tests/evidence/data/text_gold.jsonl``).
"""

from __future__ import annotations

from typing import Final

from geotrace.evidence.text import placewords as W
from geotrace.evidence.text.mention import Language
from geotrace.evidence.text.placetokens import Tokens
from geotrace.geodata.names import Form, names


def kept(
    tokens: Tokens, i: int, stop: int, form: Form, prep: bool, direct: bool, lang: Language
) -> bool:
    """The filters of ordinary words, people's names and Latin words (a settlement word or
    an admin-1 noun, tested by the caller, keeps any name).  ``prep``: a placing
    preposition governs the name; ``direct``: it touches the name (an ordinary word needs
    that: "возле московского Института стекла" is no village)."""
    keys, raw = tokens.keys, tokens.raw
    gz = names()
    kinds = {gz.place(ix).kind for ix in form.places}
    areas = "settlement" not in kinds  # Дания, Якутия, РФ: no other reading worth the loss
    if stop < len(keys) and tokens.plain[stop - 1] and W.NOT_AFTER.match(keys[stop]):
        return False  # "Донецком направлении", "Чорноморського флоту", "Новый год"
    if stop == i + 1 and kinds == {"settlement"} and attributive(tokens, i):
        return False  # "Центрального банка", "Українська армія": an adjective of its noun
    if not prep and tokens.sentence_start(i) and keys[i].endswith(W.DEMONYM_ENDS):
        return False  # "Українці!", "Росіяни знають": the people, not a village
    if _latin(raw[i], lang) and not kinds <= {"country"}:
        return False  # SHOT, Java, City, Brent: words of news and IT posts, not places
    if _acronym(raw[i]) and not _home_areas(form):
        return False  # МИД, ГУС, ГУР: acronyms that are no country or home region (РФ, ДНР)
    ordinary = form.common and not (prep and direct)
    if ordinary and (tokens.sentence_start(i) or not big_city(form, 100_000)):
        return False
    before = i > 0 and tokens.plain[i - 1] and tokens.capital(i - 1) and not prep
    if (
        before
        and not tokens.sentence_start(i - 1)
        and gz.lookup(keys[i - 1]) is None
        and not _home_areas(form)
    ):
        return False  # "Геннадий Труханов", "Йонасом Гаром": a surname after a name
    # "в Марксе Саратовской области": an oblast after the name is no surname
    nxt = (
        stop < len(keys)
        and tokens.plain[stop - 1]
        and tokens.capital(stop)
        and not (stop + 1 < len(keys) and keys[stop + 1] in W.ADMIN_NOUN)
    )
    if areas and nxt and not prep and not _home_areas(form) and gz.lookup(keys[stop]) is None:
        return False  # "Диана Арбенина" is no region of Madagascar
    if areas:
        return True
    if not prep and _foreign_village(form):
        return False  # "Галант", "Терор", "Пейна": a bare name of a foreign village
    if keys[i] in W.FIRST_NAME_CITIES and not prep:
        return False  # "Владимир снял", "Софія сказала"
    big = big_city(form, 100_000)
    if not prep and nxt and not big and names().lookup(keys[stop]) is None:
        return False  # "Аллі Чернець": a first name before a surname
    if form.person:
        if nxt or before:
            return False
        # the build flags a name pymorphy3 also parses as a surname (Бахмут, Николаев):
        # a large city keeps its name inside a sentence
        if not prep and (tokens.sentence_start(i) or not big_city(form, 50_000)):
            return False
    return True


def _foreign_village(form: Form) -> bool:
    """Whether every place of ``form`` is a settlement outside Ukraine, Russia and Belarus
    of under _FOREIGN_VILLAGE people: such a name met bare in ru/uk news is a surname or a
    word far more often than the town ("Канье", "Юпитера", "Рубио" in the corpus)."""
    gz = names()
    return all(
        (p := gz.place(ix)).country not in W.HOME and p.population < _FOREIGN_VILLAGE
        for ix in form.places
    )


#: Population under which a foreign settlement needs a preposition to be read.
_FOREIGN_VILLAGE: Final = 100_000


def _home_areas(form: Form) -> bool:
    """Countries, regions, and admin-1 units of Ukraine, Russia and Belarus only: after a
    capitalised word they are still places ("Минобороны России", "Минздраве Удмуртии")."""
    gz = names()
    return all(
        (p := gz.place(ix)).kind in ("country", "region")
        or (p.kind == "admin1" and p.country in W.HOME)
        for ix in form.places
    )


def _latin(word: str, lang: Language) -> bool:
    """A Latin word in a Russian/Ukrainian text."""
    return lang in ("ru", "uk") and word[0] < "\u0400"


def _acronym(word: str) -> bool:
    """A short all-caps word."""
    return len(word) <= 4 and word.isupper()


def areas_only(form: Form) -> bool:
    gz = names()
    return all(gz.place(ix).kind != "settlement" for ix in form.places)


def big_city(form: Form, people: int, home: bool = True) -> bool:
    """An ordinary word or a surname capitalised inside a sentence names a city when a
    Ukrainian, Russian or Belarusian city of that name is large (Орёл, Шахты, Бахмут,
    Николаев); the thresholds are the corpus spot-check's (see the module's tests)."""
    gz = names()
    return any(
        (p := gz.place(ix)).kind == "settlement"
        and p.population >= people
        and (p.country in W.HOME or not home)
        for ix in form.places
    )


def attributive(tokens: Tokens, i: int) -> bool:
    """Whether the adjective-shaped word at token i qualifies the lowercase noun right after
    it ("Центрального банка", "Українська армія", "Люту відсіч"): then it is that noun's
    adjective, not the village GeoNames spells the same.  Ukrainian has no run-time
    dictionary here, so the test is agreement: the noun's ending must fit the adjective's
    case and gender (W.AGREEMENT), which verbs and adverbs after a locative name ("в
    Раменском произошло", "в Мирном вчера") do not; place nouns (районе, сельсовета) and
    adjectives after it ("Раменского городского округа") keep the place."""
    keys = tokens.keys
    if i + 1 >= len(keys) or not tokens.plain[i] or not tokens.raw[i + 1].islower():
        return False
    noun = keys[i + 1]
    if (
        len(noun) < 3
        or noun in W.STOP
        or noun in W.CONJ
        or noun in W.PLACE_NOUN
        or noun in W.ADMIN_NOUN
        or noun in W.FEATURE_AFTER
        or (noun,) in W.SETTLEMENT
        or noun.endswith(W.VERB_ENDS)
        or W.ADJECTIVE.search(noun)
        or noun.endswith(W.ADJ_ENDS)
    ):
        return False
    word = keys[i]
    for endings, noun_ends in W.AGREEMENT:
        if word.endswith(endings):
            return noun.endswith(noun_ends)
    if tokens.sentence_start(i):
        for endings, noun_ends in W.START_AGREEMENT:
            if word.endswith(endings):
                return noun.endswith(noun_ends)
    return False
