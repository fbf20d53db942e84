"""Military units named in a post: unit numbers, numbered and named formations.

Rule-based rather than a grammar library: yargy's 15-line unit grammar read P 0.86 R 0.22
on the research set against a plain regex's P 1.0 R 0.63 (``../shared/research/text.md``),
and its morphology is Russian-only.  A formation is written in a few fixed shapes (a number
with its ordinal ending, adjectives, a unit noun or its abbreviation; a unit word and a
quoted name), so pre-compiled regular expressions find them at C speed and a reviewer can
read why each span was taken.

Whole armed forces (ВСУ, ЗСУ, ВС РФ, армия России, Росгвардия) are not units: they say
nothing about which men were where.  A famous formation's bare name ("Азов", "Ахмат",
"Вагнер") is taken only quoted or beside a unit word, because alone it is more often the
city, the sea, the football club or the composer.
"""

from __future__ import annotations

import re

from geotrace.evidence.text.mention import Span
from geotrace.evidence.text.stems import any_of

_L = "а-яёіїєґА-ЯЁІЇЄҐ"
#: A word that is not a Cyrillic or Latin letter, digit or apostrophe on either side.
_B = r"(?<![\w'’ʼ])"
_E = r"(?![\w'’ʼ])"

# --- unit numbers: в/ч 12345, військова частина А1234, ВЧ А0000, п/п 12345 -------------
_UNIT_NUMBER = re.compile(
    _B + r"(?:"
    r"[вВ]\s?[/\\.]\s?[чЧ]\.?|ВЧ|вч|"
    r"(?:[вВ]ойсков|[вВ]оинск|[вВ]оенн)(?:ая|ой|ую|ою)\s+част(?:ь|и|ью)|"
    r"[вВ]ійськов(?:а|ої|у|ій|ою)\s+частин(?:а|и|у|і|ою)|"
    r"[пП]/[пП]|пп|ПП|[пП]олев(?:ая|ой|ую)\s+почт(?:а|ы|е|у|ой)|[пП]ольов(?:а|ої|у)\s+пошт(?:а|и|і|у)"
    r")\s?(?:№\s?)?[-–]?\s?(?:[АAТTВB]\s?-?)?\d{4,5}" + _E
)

# --- numbered formations -------------------------------------------------------------
#: Ordinal endings written after the number: ru 64-я/-й/-ая/-ой/-го/-му/-м, uk 5-та/-ту/-ої/-ий.
_ORDINAL = r"(?:\s?[-–]\s?(?:[а-яіїєґ]{1,3}))"
#: Singular adjectives between the number and the noun ("отдельной мотострелковой",
#: "окрема танкова", "гвардейская"); plural ones ("отдельные") would make it a count.
_ADJ = (
    r"(?:[" + _L + r"]+-)?[" + _L + r"]{2,}"
    r"(?:ая|яя|ой|ей|ый|ий|ую|юю|ого|его|ому|ему|ым|им|ом|ем|"
    r"а|я|ої|ій|у|ю|ою|ім|(?<![ыи])е|є)"
)
#: Words that end like an adjective but follow a bare number as a count ("в 2022 году").
_NOT_ADJ = r"(?!(?:года|году|роки|року|рока|раза|разу|дня|часа|минуты|метра|человека|особи)\s)"
#: The nouns of formations in every singular case, ru and uk.
_NOUN = (
    r"(?:[бБ]ригад(?:а|ы|е|у|ой|ою|и|і)|"
    r"[пП]олк(?:а|у|ом|е|і)?|"
    r"[бБ]атал(?:ь|ьй)он(?:а|у|ом|е|і)?|"
    r"[рР]от(?:а|ы|е|у|ой|ою|и|і)|"
    r"[дД]ивизи(?:я|и|ю|ей)|[дД]ивізі(?:я|ї|ю|єю)|"
    r"[дД]ивизион(?:а|у|ом|е)?|[дД]ивізіон(?:у|ом|і)?|"
    r"[аА]рми(?:я|и|ю|ей)|[аА]рмі(?:я|ї|ю|єю)|"
    r"[оО]тряд(?:а|у|ом|е)?|[зЗ]аг(?:ін|ону|оном|оні)|"
    r"[эЕе]скадриль(?:я|и|ю|ей|ї|єю)|[фФ]лотили(?:я|и|ю|ей))"
)
#: "корпус" is also a building ("дом 5, корпус 2", "3-й корпус больницы"): only with an
#: adjective before it (армейский, гвардейский, армійський).
_CORPS = r"[кК]орпус(?:а|у|ом|е|і)?"
#: Whom a formation is named after: "імені Чорних Запорожців", "им. Невского", "имени
#: Святого князя Александра Невского" (one lower-case title between names).
_NAMESAKE = (
    r"(?:имени|імені|им\.|ім\.)\s*[А-ЯЁІЇЄҐ][\w'’ʼ-]+"
    r"(?:\s+[а-яёіїєґ][\w'’ʼ-]*(?=\s+[А-ЯЁІЇЄҐ]))?(?:\s+[А-ЯЁІЇЄҐ][\w'’ʼ-]+){0,2}"
)
#: What a numbered formation's name goes on with: its branch, honorific or quoted name.
_TAIL = (
    r"(?:\s+(?:морской\s+пехоты|морської\s+піхоти|специального\s+назначения|"
    r"спеціального\s+призначення|территориальной\s+обороны|територіальної\s+оборони|"
    r"оперативного\s+назначения|особого\s+назначения|ВДВ|ДШВ|ЗСУ|ВСУ|НГУ|ТрО|ССО|ГУР))?"
    r"(?:\s+" + _NAMESAKE + r")?"
    r"(?:\s+[«\"„“][^«»\"„“”\n]{2,40}[»\"“”])?"
)
#: Formation abbreviations: every brigade ends in Бр (ОМСБр, ОМБр, ОВДБр, ОДШБр, ОБрМП,
#: ОБрТрО); regiments, divisions, battalions, corps and armies by their own list.
_ABBR = (
    r"(?:(?:[ОГАМТДШПВСКЗРЕІЛ]|Гв|Сп|Тр|Ае|Аэ){0,6}Б[рР](?:МП|ТрО|СпН|СН|АА|П)?|"
    # Written in lower case too: "47 омбр", "3 ошбр".
    r"о[мтвдшапсгрл]{0,3}[мтвдшпсгрл]бр|"
    r"Г?О?(?:МС|ДШ|ПД|Гв)П|ОТП|ОШП|Гв?МСД|ВДД|ДШД|ДШБ|ОДШБ|ОМСБ|ОМПБ|ОМБ|ОРБ|ОТБ|"
    r"ОШБ|ОБТрО|ОПСпН|ОСпН|ЦСпН|АК|ОА|ОбщА|ГвТА|ГвОА|ТА)"
)
_NUMBERED = re.compile(
    # Not a number inside a model name or a date: "Ан-3 АК «Борус»", "01.05".
    r"(?<![\w'’ʼ.,/:№-])\d{1,4}"
    r"(?:" + _ORDINAL + r"\s*(?:(?:" + _ADJ + r")\s+){0,4}" + _NOUN + r""
    # "155-й и 106-й бригад": the second of two numbered formations.
    r"|" + _ORDINAL + r"\s+(?:бригад|полков|батальонов|батальйонів|дивизий|дивізій)"
    r"|" + _ORDINAL + r"?\s*(?:(?:" + _ADJ + r")\s+){1,4}" + _CORPS + r""
    r"|\s" + _NOT_ADJ + r"(?:(?:" + _ADJ + r")\s+){1,4}" + _NOUN + r""
    r"|\s(?:[бБ]ригада|[пП]олк|[бБ]атал(?:ь|ьй)он|[рР]ота|[дД]ивизия|[дД]ивізія|[оО]тряд|"
    r"[зЗ]агін)"
    r"|" + _ORDINAL + r"?\s?" + _ABBR + r""
    # Abbreviations that are other things after a bare number ("5 БМП" are vehicles, ОСБ a
    # police department): only after an ordinal ending.
    r"|" + _ORDINAL + r"\s?(?:ОСБ|осб|ОГБМП|ОБМП|ГБМП)" + r")" + _E + _TAIL
)

#: Streets named after formations: "на улице 43-й Армии", "вул. 93-ї бригади".
_STREET = re.compile(
    r"(?i)(?:улиц\w*|ул\.|проспект\w*|просп\.|переул\w*|пер\.|площад\w*|пл\.|"
    r"бульвар\w*|шоссе|набережн\w*|вулиц\w*|вул\.|майдан\w*)\s*$"
)
#: An ordinal that shares the noun of the formation after it: "72-й, 42-й и 108-й ОМБр".
_LISTED_BEFORE = re.compile(
    r"(?<![\w'’ʼ.,/:№-])(\d{1,4}" + _ORDINAL + r")(?:\s*,\s*|\s+(?:и|і|та|й)\s+)$"
)

# --- named formations ------------------------------------------------------------------
#: A name in quotes that starts as a name does: "бригады „скорой“" is an ambulance crew.
_QUOTED = r"[«\"„“][А-ЯЁІЇЄҐA-Z0-9][^«»\"„“”\n]{1,40}[»\"“”]"
#: Words that make the quoted name after them a formation's name, singular only ("в полках
#: «Перекрёстка»" are shelves).  Not "подразделение", "корпус", "дивизион", "сотня":
#: in Moscow news they precede companies, buildings and numbers ("дивизион «Росатома»").
_UNIT_WORD = (
    r"(?:[бБ]атал(?:ь|ьй)он(?:а|у|ом|е|і)?|[пП]олк(?:а|у|ом|е|і)?|"
    r"[бБ]ригад(?:а|ы|е|у|ой|ою|и|і)|[оО]тряд(?:а|у|ом|е)?|[зЗ]аг(?:ін|ону|оном|оні)|"
    r"[лЛ]еги?он(?:а|у|ом|е)?|[лЛ]егіон(?:у|ом|і)?|[сС]пецназ(?:а|у|ом|е)?|"
    r"[дД]ивизи(?:я|и|ю|ей)|[дД]ивізі(?:я|ї|ю|єю)|ЧВК|ПВК|ОМОН|СОБР|ДШБ|ОБр|ОМБр)"
)
#: Words allowed between the unit word and the name: branch and kind, never a call sign
#: ("отряда с позывным «Питон»").
_MID = (
    r"(?:(?:войск|військ|ВСУ|ЗСУ|ВС\s+РФ|Росгвардии|спецназа|спецназу|ГУР|ГУР\s+МО|"
    r"специального\s+назначения|спеціального\s+призначення|спецпризначення|"
    r"особого\s+назначения|морской\s+пехоты|морської\s+піхоти|"
    r"боевого\s+управления|добровольческ\w{1,3}|добровольч\w{1,3}|штурмов\w{1,3}|"
    r"отдельн\w{1,3}|окрем\w{1,3}|разведывательн\w{1,3}|розвідувальн\w{1,3}|"
    r"мотострелков\w{1,3}|механізован\w{1,3}|механизированн\w{1,3}|танков\w{1,3}|"
    r"президентськ\w{1,3}|национальн\w{1,3}|національн\w{1,3})\s+){0,3}"
)
_NAMED = re.compile(_B + _UNIT_WORD + r"\s+" + _MID + _QUOTED)
#: A grouping of forces is a unit only as "группировка войск «Юг»" or by its known name:
#: "группировка «Хезболла»" and "группировка ЦСКА «Ярославка»" are not formations.
_GROUPING = re.compile(
    _B + r"(?:[гГ]руппировк(?:а|и|е|у|ой)\s+(?:войск|ВСУ|ВС\s+РФ|российских\s+войск)|"
    r"[уУ]груповання(?:м)?\s+(?:військ|ЗСУ|Сил\s+оборони)|"
    r"[гГ]руппировк(?:а|и|е|у|ой)|[уУ]груповання(?:м)?)\s+"
    r"(?:(?:войск|військ|ВСУ|ЗСУ)\s+)?[«\"„“]?"
    r"(?:Юг|Север|Запад|Восток|Центр|Днепр|Днепр|Таврия|Хортица|Одесса|Південь|Північ|"
    r"Захід|Схід|Дніпро|Таврія|Хортиця|Одеса|Сіверськ|Харків|Курськ|Донецьк)"
    r"[»\"“”]?"
    + _E
    + r"|"
    + _B
    + r"(?:[гГ]руппировк(?:а|и|е|у|ой)\s+(?:войск|ВСУ|ВС\s+РФ)|[уУ]груповання(?:м)?"
    r"\s+(?:військ|ЗСУ))\s+"
    + _QUOTED
    # "Южная группировка войск", «Южной» группировки войск.
    + r"|[«\"„“]?(?:Южн|Северн|Западн|Восточн|Центральн|Днепровск)\w{1,3}[»\"“”]?\s+"
    r"[гГ]руппировк(?:а|и|е|у|ой)\s+войск"
)
#: An unnumbered brigade that the words still identify: "отдельной бригады специального
#: назначения ЮВО", "окрема президентська бригада".
_QUALIFIED = re.compile(
    _B + r"(?:[оО]тдельн\w{2,3}|[оО]крем\w{1,3})\s+"
    r"(?:(?:президентск\w{2,3}|президентськ\w{1,3})\s+[бБ]ригад\w{0,3}|"
    r"(?:(?:" + _ADJ + r")\s+){0,2}(?:[бБ]ригад\w{0,3}|[пП]олк\w{0,2}|[бБ]атал(?:ь|ьй)он\w{0,2})\s+"
    r"(?:специального\s+назначения|спецназначения|спеціального\s+призначення|"
    r"особого\s+назначения)(?:\s+(?:ЮВО|ЗВО|ЦВО|ВВО|ЛенВО|МВО|СФ|ВДВ|ГУР))?)" + _E
)
#: A formation named after a person: "полк имени Кастуся Калиновского", "бригады им.
#: Невского", "полка Калиновского" (a surname in the genitive, -ского/-цкого only).
_PERSON_NAMED = re.compile(
    _B + r"(?:[бБ]атал(?:ь|ьй)он(?:а|у|ом|е|і)?|[пП]олк(?:а|у|ом|е|і)?|"
    r"[бБ]ригад(?:а|ы|е|у|ой|ою|и|і)|[оО]тряд(?:а|у|ом|е)?|[зЗ]аг(?:ін|ону|оном|оні))\s+"
    r"(?:" + _NAMESAKE + r"|"
    r"(?:[А-ЯЁІЇЄҐ][\w'’ʼ-]+\s+)?[А-ЯЁІЇЄҐ][\w'’ʼ-]+(?:ского|цкого|ського|цького))" + _E
)
#: A named rescue or search team is no military unit ("поисковый отряд «Лиза Алерт»").
_CIVIL = re.compile(r"(?i)(?:спас|поиск|пошук|пожар|волонт|студенч|ДНД|скор|народн)\w*\s*$")
#: ... or one whose own name says so ("отряд «Спасрезерв»").
_CIVIL_NAME = re.compile(r"(?i)спас|рятув|поиск|пошук|пожар")
#: A private military company named without quotes: "ЧВК Вагнер", "ПВК Вагнера".
_PMC = re.compile(_B + r"(?:ЧВК|ПВК)\s+[А-ЯЁІЇЄ][" + _L + r"-]+(?:\s+[А-ЯЁІЇЄ][" + _L + r"-]+)?")

#: Formations known by name.  Stems with case endings, ru and uk.
_FAMOUS = (
    r"(?:Ахмат|Вагнер|Азов|Айдар|Кракен|Русич|Редут|Пятнашк|П'ятнашк|Эспаньол|Еспаньйол|"
    r"Спарт|Сомали|Калмиус|Кальміус|Шторм[ -]?Z|Свобод[аы]\s+России|Свобод[аи]\s+Росії|"
    r"Да\s+Винчи|Да\s+Вінчі)"
)
_FAMOUS_CASE = r"(?:а|ы|у|ом|е|ой|и|і|ові|ою|ей|ю)?"
#: Famous names that are never a city, sea or club: taken even bare.
_ALWAYS = re.compile(
    _B + r"(?:РДК|Барс[ -]?\d{1,2}|[вВ]агнеровц\w{0,3}|[вВ]агнерівц\w{0,3}|"
    r"[кК]адыровц\w{0,3}|[кК]адирівц\w{0,3}|[аА]зовц\w{0,3}|[аА]зовськ(?:ий|ого|ому)\s+полк\w*|"
    r"[рР]усск\w{2,3}\s+добровольческ\w{2,3}\s+корпус\w{0,2}|"
    r"[гГ]рузинск\w{2,3}\s+легион\w{0,2}|[гГ]рузинськ\w{1,3}\s+легіон\w{0,2}|"
    r"[сС]ибирск\w{2,3}\s+батальон\w{0,2}|[сС]ибірськ\w{1,3}\s+батальйон\w{0,2}|"
    r"[рР]осійськ\w{2,3}\s+добровольч\w{2,3}\s+корпус\w{0,2}|"
    r"[аА]фриканск\w{2,3}\s+корпус\w{0,2}|"
    r"[иИ]нтернациональн\w{2,3}\s+легион\w{0,2}|[иИ]ностранн\w{2,3}\s+легион\w{0,2}|"
    r"[іІ]нтернаціональн\w{2,3}\s+легіон\w{0,2}|"
    r"[гГ]рупп(?:а|ы|у|ой|е)\s+Вагнера|[лЛ]егион\s+Свобода\s+России|"
    r"[лЛ]егіон\s+Свобода\s+Росії)" + _E
)
#: A famous name in quotes: «Ахмат», "Азов".
_FAMOUS_QUOTED = re.compile(r"[«\"„“]" + _FAMOUS + _FAMOUS_CASE + r"[»\"“”]")
#: People and parts of formations: "бойцы Ахмата", "командир «Азова»", "Ахмат спецназ".
_PEOPLE = (
    r"(?:[бБ]о(?:ец|йцы|йца|йцов|йцам|йцами)|[бБ]ій(?:ець|ці|ців|цям|цями|ця)|"
    r"[шШ]турмовик\w{0,3}|[бБ]ойовик\w{0,3}|[кК]омандир\w{0,3}|[пП]одразделени\w{1,2}|"
    r"[пП]ідрозділ\w{0,2}|[сС]пецназ\w{0,2}|[вВ]оеннослужащ\w{1,3}|"
    r"[вВ]ійськовослужбов\w{1,4}|[дД]оброволь\w{1,4}|[зЗ]ахисник\w{0,3}|[вВ]оин\w{0,3}|"
    r"[вВ]оїн\w{0,3}|[вВ]етеран\w{0,3}|[нН]аемник\w{0,3}|[нН]айманц\w{1,3}|[нН]айманець)"
)
_FAMOUS_NAME = _FAMOUS + _FAMOUS_CASE
_FAMOUS_BESIDE = re.compile(
    _B + r"(?:" + _PEOPLE + r"\s+(?:[«\"„“])?" + _FAMOUS_NAME + r"[»\"“”]?"
    r"|" + _FAMOUS_NAME + r"\s+(?:[сС]пецназ\w{0,2}|" + _PEOPLE + r"))" + _E
)
#: A quoted famous name in a sports story is the club ("«Ахмат» обыграл «Спартак»").
_SPORT = re.compile(
    r"(?i)футбол|матч|обыгр|чемпионат|РПЛ|сч[её]т\s+\d|\bгол\w{0,2}\b|тренер|турнир|"
    r"сезон|болельщик|\bФК\b|\bклуб"
)

#: Literal stems one of the patterns above needs ("_" stands for a space); a post without
#: any (91 % of the shared corpus) is skipped after one scan (``bench/text_rules.py``).
_ANCHOR = any_of(
    stem.replace("_", " ")
    for stem in (  # noqa: SIM905 (a word list reads better as text)
        "в/ч В/ч В/Ч в\\ч в.ч В.ч ВЧ _вч ойсков оинск оенн ійськов п/п П/П _пп _ПП полев "
        "Полев польов "
        "Польов бригад Бригад полк Полк батал Батал _рота _роты _роте _роту _ротой _роти "
        "_роті _ротою дивизи Дивизи дивізі Дивізі арми Арми армі Армі отряд Отряд загін "
        "загон Загін скадрил лотили корпус Корпус МСП ДШП ПДП ОТП ОШП МСД ВДД ДШД ДШБ "
        "ОМСБ ОМПБ ОМБ ОРБ ОТБ ОШБ ОБТрО СпН ОСБ осб БМП президент "
        "_АК _ОА ОбщА _ТА ГвТА руппировк груповання "
        "ЧВК ПВК пецназ легион Легион легіон Легіон ОМОН СОБР РДК Барс БАРС Ахмат Вагнер "
        "агнеровц агнерівц Азов азовц Айдар Кракен Русич Редут Пятнашк П'ятнашк Эспаньол "
        "Еспаньйол Спарт Сомали Калмиус Кальміус Шторм Свобод Винчи Вінчі адыровц адирівц"
    ).split()
    # Every brigade abbreviation: a letter, then Бр (ОМСБр, ОВДБр, ОБрМП).
    + [letter + br for letter in "ОГАМТДШПВСКЗРЕІЛ" for br in ("Бр", "БР")]
    + [letter + "бр" for letter in "мтвдшпсгрл"]
)
_ALL = (
    _UNIT_NUMBER,
    _NUMBERED,
    _NAMED,
    _GROUPING,
    _QUALIFIED,
    _PERSON_NAMED,
    _PMC,
    _ALWAYS,
    _FAMOUS_QUOTED,
    _FAMOUS_BESIDE,
)


def _list_start(text: str, start: int) -> int:
    """Where the ordinals listed before a numbered formation, sharing its noun, begin: the
    list is one mention ("106-й и 155-й дивизий"), as a reader marks it."""
    while (listed := _LISTED_BEFORE.search(text, max(0, start - 16), start)) is not None:
        start = listed.start()
    return start


def find_units(text: str) -> tuple[Span, ...]:
    """Every unit mention in ``text``, in order; overlapping and chained hits are one.

    Spans are Python string indices into ``text``; a quoted name's span includes its quotes
    so that the reviewer sees the name as written.
    """
    if _ANCHOR.search(text) is None:
        return ()
    hits: list[tuple[int, int]] = []
    sport: bool | None = None
    for pattern in _ALL:
        for match in pattern.finditer(text):
            if pattern is _NAMED and (
                _CIVIL.search(text, max(0, match.start() - 25), match.start())
                or _CIVIL_NAME.search(match.group())
            ):
                continue
            if pattern is _FAMOUS_QUOTED:
                if sport is None:
                    sport = _SPORT.search(text) is not None
                if sport:
                    continue
            start, end = match.span()
            if pattern is _NUMBERED:
                if _STREET.search(text, max(0, start - 16), start):
                    continue
                start = _list_start(text, start)
            hits.append((start, end))
    if not hits:
        return ()
    hits.sort(key=lambda span: (span[0], -span[1]))
    merged: list[tuple[int, int]] = []
    for start, end in hits:
        # Overlapping hits, and a chain with nothing but a space between ("батальона «Скиф»
        # бригады «Терек»", "132-й бригады 51-й армии"), name one unit.
        if merged and (start < merged[-1][1] or text[merged[-1][1] : start].isspace()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            continue
        merged.append((start, end))
    return tuple(Span(start, end, text[start:end]) for start, end in merged)
