"""What the words before a place say of it: at, near, from, to, or unknown.

A text place is evidence that a post talks about a place; "родом из Бурятии", "вернулся в
Улан-Удэ" and "под Дебальцево" are three different facts about the writer.  Russian and
Ukrainian carry the relation in the preposition *and* the case it governs ("в Донецке" at,
"в Донецк" to, "с Россией" with, "с России" from), and the gazetteer records the cases each
surface form can be, so the rule is a table look-up plus one test of the case bits.  No parser
is used: the preposition is at most four words before the name, and a dependency parser would
cost more than the whole text stage (issue 18's speed target).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from geotrace.evidence.text.mention import Relation
from geotrace.geodata.names import ABLT, ACCS, GENT, LOCT

#: How a preposition reads the case of the name after it.
IN: Final = "in"  # в/у/на: locative = at, accusative = to
AT_U: Final = "u"  # у: as в, and Russian "у Бахмута" (genitive) = near
UNDER: Final = "under"  # под/під: instrumental = near, accusative = to
OFF: Final = "off"  # с/з: genitive = from, instrumental = "with" (unknown)
FROM: Final = "from"
NEAR: Final = "near"
TO: Final = "to"
AT: Final = "at"
NONE: Final = "none"  # a preposition that names no relation (через, по, за)

#: Phrases (normalised words) -> how they read the name.  Multi-word phrases are tried
#: longest first, so "недалеко от" wins over "от" and "родом из" over "из".
PHRASES: Final[dict[tuple[str, ...], str]] = {
    **{(w,): IN for w in ("в", "во", "на", "уві")},
    # "над Брянской областью": the drone was over the place (the labelling rules' "at")
    **{(w,): AT for w in ("над", "надо", "понад")},
    ("у",): AT_U,
    **{(w,): UNDER for w in ("под", "подо", "під", "попід")},
    **{(w,): OFF for w in ("с", "со", "з", "зі", "із", "зо")},
    **{(w,): FROM for w in ("из", "изо", "ізо")},
    # "від Росії", "от Украины": the labelling rules read these as no relation ("залежати
    # від Росії"); a distance ("в 5 км от") is read before the table
    **{(w,): NONE for w in ("от", "ото", "від", "од")},
    **{
        (w,): NEAR
        for w in (
            "около",
            "возле",
            "вблизи",
            "близ",
            "біля",
            "коло",
            "поблизу",
            "неподалік",
            "поруч",
            "окрест",
            # compass comparatives: "южнее Бахмута" is near Bakhmut in front-line reports
            "севернее",
            "южнее",
            "западнее",
            "восточнее",
            "северо-западнее",
            "северо-восточнее",
            "юго-западнее",
            "юго-восточнее",
            "північніше",
            "південніше",
            "західніше",
            "східніше",
            "північно-західніше",
            "північно-східніше",
            "південно-західніше",
            "південно-східніше",
        )
    },
    **{(w,): TO for w in ("к", "ко", "до", "ку")},
    **{(w,): NONE for w in ("между", "між", "меж")},
    **{(w,): NONE for w in ("через", "по", "за", "про", "о", "об", "для", "против", "проти")},
    # two words
    ("недалеко", "от"): NEAR,
    ("неподалеку", "от"): NEAR,
    ("невдалеку", "від"): NEAR,
    ("недалеко", "від"): NEAR,
    ("неподалік", "від"): NEAR,
    ("в", "районе"): NEAR,
    ("в", "районі"): NEAR,
    ("у", "районі"): NEAR,
    ("в", "окрестностях"): NEAR,
    ("в", "окрестности"): NEAR,
    ("на", "окраине"): NEAR,
    ("на", "окраинах"): NEAR,
    ("на", "околиці"): NEAR,
    ("на", "околицях"): NEAR,
    ("в", "околицях"): NEAR,
    ("в", "пригороде"): NEAR,
    ("в", "пригородах"): NEAR,
    ("в", "передмісті"): NEAR,
    ("у", "передмісті"): NEAR,
    ("рядом", "с"): NEAR,
    ("поруч", "з"): NEAR,
    ("поряд", "з"): NEAR,
    ("поряд", "із"): NEAR,
    ("поряд", "зі"): NEAR,
    ("поруч", "із"): NEAR,
    ("поруч", "зі"): NEAR,
    # "по всему Звенигороду": across the place
    ("по", "всему"): AT,
    ("по", "всей"): AT,
    ("по", "всьому"): AT,
    ("по", "всій"): AT,
    ("вглубь",): TO,
    ("вглиб",): TO,
    ("углиб",): TO,
    ("на", "подступах"): NEAR,
    ("на", "підступах"): NEAR,
    ("в", "сторону"): TO,
    ("в", "направлении"): TO,
    ("по", "направлению"): TO,
    ("у", "напрямку"): TO,
    ("в", "напрямку"): TO,
    ("у", "бік"): TO,
    ("в", "бік"): TO,
    ("родом", "из"): FROM,
    ("родом", "с"): FROM,
    ("родом", "з"): FROM,
    ("родом", "із"): FROM,
    ("выходец", "из"): FROM,
    ("выходцем", "из"): FROM,
    ("выходца", "из"): FROM,
    ("выходцы", "из"): FROM,
    ("вихідець", "з"): FROM,
    ("вихідець", "із"): FROM,
    # an origin or a home: the person's place, not the event's
    **{
        (w,): FROM
        for w in (
            "уроженец",
            "уроженка",
            "уроженца",
            "уроженцем",
            "уроженцы",
            "уродженець",
            "уродженка",
            "уродженця",
            "уродженці",
        )
    },
    ("на", "подступах", "к"): NEAR,
    ("на", "підступах", "до"): NEAR,
    **{
        (a, side, b): NEAR
        for a, b in (("к", "от"), ("на", "от"), ("на", "від"))
        for side in (
            "северу",
            "югу",
            "западу",
            "востоку",
            "северо-западу",
            "северо-востоку",
            "юго-западу",
            "юго-востоку",
            "север",
            "юг",
            "запад",
            "восток",
            "північ",
            "південь",
            "захід",
            "схід",
            "північний",
            "південний",
        )
    },
}
#: Longest phrase in PHRASES, in words.
MAX_PHRASE: Final = max(len(p) for p in PHRASES)

#: "в 30 км от X", "за 20 кілометрів від X", "в 5 км к югу от X": a distance is "near".
_DISTANCE: Final = re.compile(
    r"(?:(?<!\w)(?:в|за|у|во)\s+)?\d+(?:[.,]\d+)?\s*(?:-\s*\d+\s*)?(?:км|километр\w*|кілометр\w*|километ\w*)\.?"
    r"(?:\s+\w+){0,2}\s+(?:от|від|до|к)\s+$",
    re.IGNORECASE,
)

#: Motion words: with them an indeclinable name after "в" is a goal ("вернулся в Улан-Удэ"),
#: not a location; stems, matched as prefixes of the two words before the preposition.
_MOTION: Final = re.compile(
    r"(?:вернул|возвращ|приех|поех|уех|переех|въех|заех|отправ|прибы|прилет|вылет|улет|"
    r"перебро|перебра|направ|достав|эвакуир|вывез|привез|повез|перевез|перевел|перевод|"
    r"едет|еду|едем|ехал|идут|пойд|поступ|ушел|ушл|вошл|вош|зашл|ворвал|прорвал|отступ|"
    r"мобилиз|призв|депортир|переправ|вторг|"
    r"поверну|повертав|приїх|поїх|виїх|переїх|в'їх|відправ|прибу|прилеті|вилеті|перекину|"
    r"доставил|евакуюв|вивез|привез|повез|перевез|їду|їде|їхав|їдемо|ідуть|піш|зайшл|"
    r"увійшл|прорвал|відступ|мобілізу|призва|вдерл|вторгл)"
)


def relation(
    words: Sequence[str],
    gaps_plain: Sequence[bool],
    text_before: str,
    first: int,
    cases: int,
    lang: str,
) -> tuple[Relation, int, tuple[str, ...]]:
    """The relation of a name whose first token is ``first``, from the words before it.

    ``words`` are the normalised tokens of the text, ``gaps_plain[k]`` says whether only
    spaces lie between token k and k + 1 (a preposition must touch the name), ``cases`` is
    the case bitmask of the name (or of the settlement word before it: "в селе Победа").
    Returns the relation, the index of the first token of the cue (``first`` if none), and
    the preposition phrase (``()`` if none: the filter of common words needs to know).
    """
    found = _DISTANCE.search(text_before)
    if found:
        words_in = sum(1 for w in found.group().split() if w[0].isalpha())
        return "near", max(0, first - words_in), DISTANCE
    for size in range(min(MAX_PHRASE, first), 0, -1):
        lo = first - size
        if not all(gaps_plain[lo:first]):
            continue
        phrase = tuple(words[lo:first])
        rule = PHRASES.get(phrase)
        if rule is None:
            continue
        return _read(rule, cases, lang, _moving(words, lo)), lo, phrase
    return "unknown", first, ()


def reread(phrase: tuple[str, ...], cases: int, lang: str) -> Relation:
    """The relation ``phrase`` gives a further name of a list ("из Харькова и Сум")."""
    if phrase == DISTANCE:
        return "near"
    return _read(PHRASES[phrase], cases, lang, False) if phrase in PHRASES else "unknown"


#: The phrase recorded for "в 30 км от X".
DISTANCE: Final = ("км",)


def _read(rule: str, cases: int, lang: str, moving: bool) -> Relation:
    """One rule of PHRASES applied to the case bits of the name."""
    if rule in (IN, AT_U):
        if cases & ACCS and (not cases & LOCT or moving):
            return "to"
        if cases & LOCT:
            return "at"
        # Russian "у Бахмута" (genitive) is the front-line "near"; Ukrainian "у" is "в".
        if rule == AT_U and cases & GENT and lang == "ru":
            return "near"
        return "at"
    if rule == UNDER:
        if cases & ABLT or not cases & ACCS:
            return "near"
        return "to"
    if rule == OFF:
        if cases & ABLT:
            return "unknown"  # "с Россией" / "з Росією" is "with"; "з РФ" may be either
        return "from"
    if rule == NONE:
        return "unknown"
    return _SIMPLE[rule]


_SIMPLE: Final[dict[str, Relation]] = {FROM: "from", NEAR: "near", TO: "to", AT: "at"}


def _moving(words: Sequence[str], lo: int) -> bool:
    """Whether one of the four words before the preposition is a verb of motion ("прибыл
    с официальным визитом в КНДР"), or an attack noun before "на" ("атака на Алеппо"; an
    "наступление ... в Запорожье" is where it happens)."""
    before = words[max(0, lo - 4) : lo]
    if any(_MOTION.match(w) for w in before):
        return True
    return words[lo] == "на" and any(_ATTACK.match(w) for w in before)


_ATTACK: Final = re.compile(r"(?:атак|удар|наступ|напад|марш|налет|наліт|похід|поход)")
