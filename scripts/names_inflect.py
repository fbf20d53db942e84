"""Inflected surface forms of Russian and Ukrainian place names, for ``build_names.py``.

Run time never inflects (the text stage looks surface forms up), so every case form a writer
may use is generated here, once, with the cases it can stand for:

* Russian: pymorphy3 with its MIT-licensed OpenCorpora dictionary, which knows most Russian
  toponyms (Geox) and guesses the rest by suffix.
* Ukrainian: hand-written suffix paradigms.  pymorphy3's Ukrainian dictionary is GPL-3 data
  and must not shape shipped data, so the common toponym declensions are written out below
  (consonant stems, -ськ/-цьк, -ів/-їв with its і -> о/е alternation, -а/-я, -ка/-га,
  neuter -я, adjectival -ий/-е/-а, plural -и/-і).  A wrong guess costs a key nobody writes,
  so where a name's declension is unclear both candidates are produced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pymorphy3

NOMN, GENT, DATV, ACCS, ABLT, LOCT = 1, 2, 4, 8, 16, 32
ALL_CASES = 63
_BITS = (NOMN, GENT, DATV, ACCS, ABLT, LOCT)
RU, UK = 1, 2

Forms = dict[str, int]  # surface form (lower case) -> case bits

_MORPH = pymorphy3.MorphAnalyzer()
_RU_CASES = {
    "nomn": NOMN, "gent": GENT, "gen2": GENT, "datv": DATV, "accs": ACCS, "ablt": ABLT,
    "loct": LOCT, "loc2": LOCT,
}  # fmt: skip
_INFLECT_TO = ("nomn", "gent", "datv", "accs", "ablt", "loct", "loc2")

# Letters only Ukrainian writes (and its soft-sign suffixes), letters only Russian writes.
_UK_MARKS = re.compile(r"[ґєії']|[сцз]ьк")
_RU_MARKS = re.compile(r"[ёыэъ]")
# Russian names in -о/-е (Дебальцево, Иваново) are often left undeclined ("в Дебальцево"):
# their nominative stands for every case.
_UNDECLINED_RU = re.compile(r"[оеё]$")
# Function words inside names ("Ростов-на-Дону", "Кам'янка-на-Дніпрі"): what follows them
# never declines.
_LINKS = {"на", "над", "под", "при", "у", "в", "де", "ла", "эль", "ель", "і", "и"}


def languages(name: str) -> int:
    """Which paradigms apply to a lower-case Cyrillic name, from its letters."""
    uk, ru = bool(_UK_MARKS.search(name)), bool(_RU_MARKS.search(name))
    if uk and not ru:
        return UK
    if ru and not uk:
        return RU
    return RU | UK


def _add(out: Forms, form: str, bits: int) -> None:
    out[form] = out.get(form, 0) | bits


def _combine(parts: list[dict[int, set[str]]], joiner: str) -> Forms:
    """Case-agreeing combinations: the case-``c`` form of every part joined, for each case."""
    out: Forms = {}
    for bit in _BITS:
        combos = [""]
        for i, part in enumerate(parts):
            words = part.get(bit) or part[NOMN]
            combos = [c + (joiner if i else "") + w for c in combos for w in sorted(words)]
        for c in combos[:8]:  # bounded: two or three variants per word at most
            _add(out, c, bit)
    return out


def _fixed(word: str) -> dict[int, set[str]]:
    return {bit: {word} for bit in (NOMN, GENT, DATV, ACCS, ABLT, LOCT)}


# -- Russian (pymorphy3) -------------------------------------------------------------------


def _yo(word: str) -> str:
    """Keys are written with е for ё (``normalise``); pymorphy3 restores ё (шахтёрск)."""
    return word.replace("ё", "е")


#: A possessive adjective in -ов/-ев/-ин before its noun (Часов Яр): the dictionary does not
#: know it in the nominative, writers decline it like an adjective (в Часовом Яре).
_POSSESSIVE = re.compile(r"(?:ов|ев|ин)$")


def _ru_possessive(word: str) -> dict[int, set[str]]:
    return {
        NOMN: {word}, ACCS: {word}, GENT: {word + "а"}, DATV: {word + "у"},
        ABLT: {word + "ым"}, LOCT: {word + "ом"},
    }  # fmt: skip


def _ru_parse(word: str, adjective: bool) -> pymorphy3.analyzer.Parse | None:
    """The nominative parse a name's word most likely has: Geox first, then noun/adjective.
    Only nouns and adjectives decline as names do: a pronoun reading of "Оно" (Ono, Japan)
    would make "его" and "ему" names."""
    parses = [
        p
        for p in _MORPH.parse(word)
        if p.tag.case == "nomn"
        and _yo(p.word) == word
        and p.tag.POS in {"NOUN", "ADJF"}
        and "Apro" not in p.tag
    ]
    if not parses:
        return None
    order = ("ADJF",) if adjective else ("NOUN",)

    def rank(p: pymorphy3.analyzer.Parse) -> tuple[bool, bool, bool, float]:
        return ("Geox" in p.tag, p.tag.POS in order, "Name" not in p.tag, p.score)

    return max(parses, key=rank)


@cache
def _ru_word(word: str, adjective: bool = False) -> dict[int, set[str]]:
    parse = _ru_parse(word, adjective)
    if parse is None or "Fixd" in parse.tag:
        return _fixed(word)
    out: dict[int, set[str]] = {NOMN: {word}}
    number = parse.tag.number or "sing"
    for case in _INFLECT_TO:
        grams = {case, number} if number == "plur" or parse.tag.POS == "NOUN" else {case}
        inflected = parse.inflect(grams)
        if inflected is not None:
            out.setdefault(_RU_CASES[case], set()).add(_yo(inflected.word))
    return out


def _ru_hyphenated(token: str) -> dict[int, set[str]]:
    parts = token.split("-")
    if any("Geox" in p.tag and p.is_known for p in _MORPH.parse(token)):
        return _ru_word(token)  # the dictionary knows it whole: Ростов-на-Дону, Улан-Удэ
    if any(p in _LINKS for p in parts[1:]):  # the head declines, the rest stays
        rest = "-" + "-".join(parts[1:])
        return {bit: {w + rest for w in ws} for bit, ws in _ru_word(parts[0]).items()}
    last = _ru_parse(parts[-1], True)
    if last is not None and last.tag.POS == "ADJF":  # Каменск-Шахтинский: both decline
        combined = _combine([_ru_word(p, i > 0) for i, p in enumerate(parts)], "-")
        return {b: _pick(combined, b) for b in _BITS}
    return _fixed(token)


def _pick(forms: Forms, bit: int) -> set[str]:
    return {f for f, b in forms.items() if b & bit}


def ru_forms(name: str) -> Forms:
    """Every Russian case form of a lower-case name (adjective + noun names agree in case)."""
    words = name.split(" ")
    parts: list[dict[int, set[str]]] = []
    frozen = False
    for i, word in enumerate(words):
        if frozen or (word in _LINKS and i):
            frozen = True
            parts.append(_fixed(word))
            continue
        if "-" in word:
            parts.append(_ru_hyphenated(word))
        elif i < len(words) - 1 and _POSSESSIVE.search(word) and _ru_parse(word, True) is None:
            parts.append(_ru_possessive(word))
        else:
            parts.append(_ru_word(word, i < len(words) - 1))
    out = _combine(parts, " ")
    if _UNDECLINED_RU.search(name) or len(out) == 1:
        _add(out, name, ALL_CASES)
    return out


# -- Ukrainian (hand paradigms) ------------------------------------------------------------

_SIBILANT = set("жчшщ")
_CONSONANT = set("бвгґджзклмнпрстфхцчшщ")
_SOFTEN = {"к": "ц", "г": "з", "х": "с"}  # Новосілка -> Новосілці, Прага -> Празі
_IRREGULAR: dict[str, dict[int, set[str]]] = {
    # Кривий Ріг: о/і alternation in a closed syllable plus г -> з before -і.
    "ріг": {
        NOMN: {"ріг"}, ACCS: {"ріг"}, GENT: {"рогу", "рога"}, DATV: {"рогу", "рогові"},
        ABLT: {"рогом"}, LOCT: {"розі", "рогу"},
    },
    # Єгипет: the fleeting е of the last syllable drops in every other case.
    "єгипет": {
        NOMN: {"єгипет"}, ACCS: {"єгипет"}, GENT: {"єгипту"}, DATV: {"єгипту"},
        ABLT: {"єгиптом"}, LOCT: {"єгипті"},
    },
}  # fmt: skip


def _cases(word: str, **endings: Iterable[str]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {NOMN: {word}}
    if not any("a" in key for key in endings):
        out[ACCS] = {word}  # inanimate masculine, neuter and plural: accusative = nominative
    bits = {"g": GENT, "d": DATV, "a": ACCS, "i": ABLT, "l": LOCT}
    for key, forms in endings.items():
        for letter in key:
            out.setdefault(bits[letter], set()).update(forms)
    return out


def uk_noun(w: str) -> dict[int, set[str]]:
    """Case forms of one Ukrainian toponym noun (nominative singular or plural)."""
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if w.endswith("ія"):
        s = w[:-1]
        return _cases(w, gdl=[s + "ї"], a=[s + "ю"], i=[s + "єю"])
    if w.endswith("я") and len(w) > 3 and (w[-2] == w[-3] or w[-2] == "'"):
        s = w[:-1]  # neuter: Запоріжжя, Поділля, Прикарпаття
        return _cases(w, g=[w], dl=[s + "ю"], i=[s + "ям"], l=[s + "і"])
    if w.endswith("я"):
        s = w[:-1]
        return _cases(w, gdl=[s + "і"], a=[s + "ю"], i=[s + "ею"])
    if w.endswith("а"):
        s = w[:-1]
        soft = s[:-1] + _SOFTEN.get(s[-1:], s[-1:])
        gen = s + ("і" if s[-1:] in _SIBILANT else "и")
        return _cases(
            w,
            g=[gen],
            dl=[soft + "і"],
            a=[s + "у"],
            i=[s + ("ею" if s[-1:] in _SIBILANT else "ою")],
        )
    if w.endswith("и") and len(w) > 3:  # plural: Суми, Черкаси, Олешки, Пологи
        s = w[:-1]
        gens = {s + "ів"}
        if s[-1:] == "к" and s[-2:-1] in _CONSONANT:
            gens.add(s[:-1] + "ок")  # Олешки -> Олешок
        elif not (s[-1:] in _CONSONANT and s[-2:-1] in _CONSONANT):
            gens.add(s)  # Суми -> Сум
        return _cases(w, g=gens, d=[s + "ам"], i=[s + "ами"], l=[s + "ах"])
    if w.endswith("і") and len(w) > 3:  # plural: Чернівці, Плавні
        s = w[:-1]
        return _cases(w, g=[s + "ів"], d=[s + "ям"], i=[s + "ями"], l=[s + "ях"])
    if w.endswith("о"):
        s = w[:-1]
        return _cases(w, g=[s + "а"], d=[s + "у"], i=[s + "ом"], l=[s + "і", s + "у"])
    if w.endswith("ь"):
        s = w[:-1]
        if w.endswith("ець"):  # Кам'янець -> Кам'янця, Кременець -> Кременця
            s = w[:-3] + "ц"
            return _cases(w, g=[s + "я"], d=[s + "ю"], i=[s + "ем"], l=[s + "і"])
        if w.endswith("іль"):  # Бориспіль -> Борисполя, Тернопіль -> Тернополя
            s = w[:-3] + "ол"
        elif w.endswith("інь"):  # Ірпінь -> Ірпеня, Ірпені
            alternated = w[:-3] + "ен"
            return _cases(
                w, g=[alternated + "я"], d=[alternated + "ю"], i=[alternated + "ем"],
                l=[alternated + "і"],
            )  # fmt: skip
        masc = _cases(w, g=[s + "я"], d=[s + "ю"], i=[s + "ем"], l=[s + "і"])
        if w.endswith("ль"):
            return masc
        fem = _cases(w, gdl=[s + "і"], i=[s + s[-1] + "ю"])  # Умань -> Умані, Уманню
        return {b: masc.get(b, set()) | fem.get(b, set()) for b in _BITS}
    if w.endswith("й"):
        s = w[:-1]
        return _cases(w, g=[s + "ю", s + "я"], d=[s + "ю"], i=[s + "єм"], l=[s + "ї"])
    if w[-1:] in _CONSONANT:
        if re.search(r"[сцз]ьк$", w):  # Луганськ: у Луганську
            return _cases(w, g=[w + "а"], d=[w + "у"], i=[w + "ом"], l=[w + "у"])
        s = w
        if w.endswith("ів"):
            s = w[:-2] + "ов"  # Харків -> Харкова
        elif w.endswith("їв"):
            s = w[:-2] + "єв"  # Київ -> Києва
        # Кременчук: у Кременчуці and у Кременчуку are both written; Часів Яр: у Часовому Яру.
        loc = [s + "у", s[:-1] + _SOFTEN[w[-1]] + "і"] if w[-1] in "кгх" else [s + "і", s + "у"]
        abl = s + ("ем" if w[-1] in _SIBILANT else "ом")
        return _cases(w, g=[s + "а", s + "у"], d=[s + "у", s + "ові"], i=[abl], l=loc)
    return _fixed(w)


# Stems of the soft adjectives (горішній, верхній, нижній, середній, літній).
_SOFT_STEM = re.compile(r"(?:шн|хн|жн|дн|тн|нн)$")
# Nouns with an adjective's ending, which never agree as one (Автономна Республіка Крим).
_NOT_ADJECTIVE = frozenset({"республіка", "гора", "балка", "річка", "пристань"})
# Single-word feminine names that are adjectives (Кремінна -> у Кремінній, Ясинувата ->
# Ясинуватої): both declensions are produced for them, the noun one being the other reading.
_ADJECTIVAL_NAME = re.compile(r"(?:нна|ська|цька|ата|ова|ева|єва|іва)$")


def uk_adjective(w: str) -> dict[int, set[str]] | None:
    """Case forms of a Ukrainian adjective (Кривий, Велика, Мирне, Великі); None if not one."""
    if w.endswith("ій") and len(w) > 3:  # soft: Верхній
        s = w[:-2]
        return _cases(w, g=[s + "ього"], d=[s + "ьому"], i=[s + "ім"], l=[s + "ьому", s + "ім"])
    if w.endswith("ий") and len(w) > 3:
        s = w[:-2]
        return _cases(w, g=[s + "ого"], d=[s + "ому"], i=[s + "им"], l=[s + "ому", s + "ім"])
    if w.endswith("я") and w[-2:-1] == "н":  # Верхня
        s = w[:-1]
        return _cases(w, g=[s + "ьої"], dl=[s + "ій"], a=[s + "ю"], i=[s + "ьою"])
    if w.endswith("а") and len(w) > 2:
        s = w[:-1]
        return _cases(w, g=[s + "ої"], dl=[s + "ій"], a=[s + "у"], i=[s + "ою"])
    if w.endswith(("е", "є")) and len(w) > 3:
        s = w[:-1]
        if w.endswith("є"):
            return _cases(w, g=[s + "ього"], d=[s + "ьому"], i=[s + "ім"], l=[s + "ьому", s + "ім"])
        return _cases(w, g=[s + "ого"], d=[s + "ому"], i=[s + "им"], l=[s + "ому", s + "ім"])
    if w.endswith("і") and len(w) > 3:
        s = w[:-1]
        if _SOFT_STEM.search(s):  # Горішні Плавні -> Горішніх Плавнів
            return _cases(w, g=[s + "іх"], d=[s + "ім"], i=[s + "іми"], l=[s + "іх"])
        return _cases(w, g=[s + "их"], d=[s + "им"], i=[s + "ими"], l=[s + "их"])
    return None


# Neuter nouns in -е (Гуляйполе, Узбережже): not adjectives, they decline like Поле.
_NEUTER_NOUN_E = re.compile(r"(?:л|р|ж|ч|ш|щ|ц)е$")


def _uk_word(word: str, last: bool) -> dict[int, set[str]]:
    neuter_adjective = word.endswith(("е", "є")) and not _NEUTER_NOUN_E.search(word)
    attribute = (  # Велика Новосілка
        not last and word.endswith(("а", "я", "і")) and word not in _NOT_ADJECTIVE
    )
    if neuter_adjective or word.endswith(("ий", "ій")) or attribute:
        adjective = uk_adjective(word)
    else:
        adjective = None
    if adjective is not None:
        return adjective
    if word.endswith("е") and len(word) > 3:
        s = word[:-1]
        return _cases(word, g=[s + "я"], d=[s + "ю"], i=[s + "ем"], l=[s + "і"])
    if last and _ADJECTIVAL_NAME.search(word):
        noun, adjective = uk_noun(word), uk_adjective(word) or {}
        return {b: noun.get(b, set()) | adjective.get(b, set()) for b in _BITS}
    return uk_noun(word)


def _uk_hyphenated(token: str, last: bool) -> dict[int, set[str]]:
    parts = token.split("-")
    if any(p in _LINKS for p in parts[1:]):
        rest = "-" + "-".join(parts[1:])
        return {b: {w + rest for w in ws} for b, ws in _uk_word(parts[0], True).items()}
    if uk_adjective(parts[-1]) is not None and parts[-1].endswith(("ий", "ій", "е", "а")):
        declined = [
            (uk_adjective(p) or uk_noun(p)) if i else uk_noun(p) for i, p in enumerate(parts)
        ]
        combined = _combine(declined, "-")
        return {b: _pick(combined, b) for b in _BITS}
    return _fixed(token)


def uk_forms(name: str) -> Forms:
    """Every Ukrainian case form of a lower-case name, adjectives agreeing with their noun."""
    words = name.split(" ")
    parts: list[dict[int, set[str]]] = []
    frozen = False
    for i, word in enumerate(words):
        last = i == len(words) - 1
        if frozen or (word in _LINKS and i):
            frozen = True
            parts.append(_fixed(word))
        elif "-" in word:
            parts.append(_uk_hyphenated(word, last))
        elif not last and word.endswith("ів"):  # Часів Яр -> Часового Яру
            parts.append(uk_adjective(word[:-2] + "овий") or _fixed(word))
            parts[-1][NOMN] = parts[-1][ACCS] = {word}
        else:
            parts.append(_uk_word(word, last))
    out = _combine(parts, " ")
    _add(out, name, NOMN | ACCS)
    return out


def adjective_forms(word: str, lang: int) -> Forms:
    """Case forms of one adjective alone (the elliptic "Донецкой", "Луганської")."""
    if lang == RU:
        return {f: bit for bit, fs in _ru_word(word, True).items() for f in fs} | {word: NOMN}
    declined = uk_adjective(word) or uk_noun(word)
    out: Forms = {}
    for bit, fs in declined.items():
        for f in fs:
            _add(out, f, bit)
    return out


# -- flags ---------------------------------------------------------------------------------

_PERSON = {"Name", "Surn", "Patr"}


#: Below this share of the dictionary's parse scores, a reading is a curiosity ("киев" is
#: also the genitive plural of "кий", a cue, at 0.06).
_MIN_SHARE = 0.1
#: pymorphy3's dictionary lists these toponyms as first names too (Бахмут, score 0.67);
#: nobody in the war's texts is called so.
_NOT_PERSON = frozenset({"бахмут"})
#: Parts of speech of words that are never a place in running text: pronouns, prepositions,
#: conjunctions, particles, interjections ("Без", "Перед", "Или" are Cyrillic alternates of
#: Bèze, Tešedíkovo and Ely in GeoNames).
_FUNCTION_POS = frozenset({"NPRO", "PREP", "CONJ", "PRCL", "INTJ", "PRED"})


@dataclass(frozen=True, slots=True)
class WordFlags:
    common: bool  # also an ordinary word
    person: bool  # also a first name, surname or patronymic
    function: bool  # only ever a function word or pronoun (known to the dictionary)


@cache
def ru_flags(word: str) -> WordFlags:
    """What else one lower-case word is, from the dictionary's own parses only (suffix
    guesses say nothing about a word being common).

    A reading counts when its parses score at least as high as the word's toponym (Geox)
    parses and above ``_MIN_SHARE``: "мирный" (0.5 adjective) and "изюм" are common words,
    "киев" is not, "владимир" is a name first."""
    geo = person = common = 0.0
    known = function = 0
    for p in _MORPH.parse(word):
        if not p.is_known:
            continue
        known += 1
        grams = set(p.tag.grammemes)
        if p.tag.POS in _FUNCTION_POS or "Apro" in grams:
            function += 1
            common += p.score
        elif "Geox" in grams:
            geo += p.score
        elif grams & _PERSON:
            person += p.score
        else:
            common += p.score
    is_person = person >= max(geo, _MIN_SHARE) and _MORPH.parse(word)[0].normal_form
    return WordFlags(
        common=common >= max(geo, _MIN_SHARE),
        person=bool(is_person) and is_person not in _NOT_PERSON,
        function=known > 0 and function == known,
    )
