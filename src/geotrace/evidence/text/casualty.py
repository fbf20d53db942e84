"""Casualty signals in a post: death, wounded, captured, missing, condolence, losses.

A lexicon of Russian and Ukrainian cue words in pre-compiled regular expressions, with
negation, rather than a classifier: every cue keeps the words that carry it, so that a
reviewer sees why a post was flagged, and a post costs a few C-level scans.  The research
baseline of this kind read "any casualty" at P 0.95 R 0.99 on 74 labelled texts
(``../shared/research/text.md``).

Decisions:

* "death" is people dying in an event, however many ("погибли 5 мирных жителей", "тело
  мужчины нашли"); "losses" is the aggregate of a side's forces as statistics ("потери ВСУ
  составили", "ліквідовано 1000 окупантів", "потерял до 300 военнослужащих убитыми и
  ранеными").  A death or wounded word inside a losses phrase is part of that phrase.
* An exchange of prisoners is "captured"; hostages are "captured" too.
* "потеря сознания", "травматический пистолет", "смертельный номер", "убить время",
  "пленительный", "ранее", "пожертвование", "полон сил" are not casualty cues; infinitives
  ("мог погибнуть", "пытался убить") are not either: nothing happened yet.
* "пострадали" of buildings and cars ("пострадали три дома") is not wounded.
* A cue with a negation before it ("не пострадал", "никто не погиб", "без жертв",
  "не було поранених") or a denial after it ("жертв нет", "пострадавших немає", "о
  пострадавших не сообщается") is dropped.
"""

from __future__ import annotations

import re

from geotrace.evidence.text.mention import CasualtyCue, CasualtyKind
from geotrace.evidence.text.stems import any_of

#: Word boundaries that treat the apostrophe as a letter (uk "пам'ять").
_B = r"(?<![\w'’ʼ])"
_E = r"(?![\w'’ʼ])"
#: A number written as digits (with spaces between thousands) or as a word.
_NUM = (
    r"(?:(?:до|более|около|свыше|порядка|почти|понад|близько|майже|щонайменше|не\s+менее)\s+)?"
    r"(?:\d[\d\s]{0,8}|[а-яіїє]+(?:сот|десят|надцат|надцят)[а-яіїє]*|один|два|две|три|"
    r"четыре|пять|шесть|семь|восемь|девять|десять|двое|трое|четверо|пятеро|шестеро|"
    r"сотни|сотн[иі]|тысяч[аиі]?|тисяч[аі]?|два|дві|чотири|п'ять|шість|сім|вісім|дев'ять)"
)
#: Who the aggregate is of: forces, their men, the enemy.
_FORCES = (
    r"(?:военнослужащ\w*|военн\w+|солдат\w*|боевик\w*|на[её]мник\w*|бойц\w*|человек|"
    r"окупант\w*|росіян\w*|осіб|особи|військов\w+|ворог\w*|противник\w*|ВСУ|ЗСУ|"
    r"всу|зсу|рашист\w*|орк\w*|иностранн\w+|іноземн\w+|единиц\w*)"
)
_LOSS_TAIL = (
    r"(?:\s+(?:убитыми\s+и\s+ранеными|вбитими\s+(?:і|та)\s+пораненими|убитыми|ранеными|"
    r"вбитими|пораненими))?"
)

_PATTERNS: tuple[tuple[CasualtyKind, str], ...] = (
    (
        "losses",
        # "потери ВСУ", "боевые потери", "втрати ворога", "безповоротні втрати".
        _B + r"(?:(?:боев\w+|безвозвратн\w+|санитарн\w+|общ\w+|людск\w+|бойов\w+|"
        r"безповоротн\w+|загальн\w+|санітарн\w+|людськ\w+)\s+(?:\w+\s+)?"
        r"(?:потер[иьяю]\w*|втрат\w*)|(?:потер(?:и|ь|ям|ями|ях)|втрат(?:и|а|ами|ах|ам)?)"
        r"\s+(?:\w+\s+)?(?:всу|зсу|вс\s+рф|противника|врага|ворога|окупант\w*|"
        r"росі\w+|российск\w+|украинск\w+|українськ\w+|армии|армії|войск|військ|"
        r"личного\s+состава|особового\s+складу|в\s+живой\s+силе|у\s+живій\s+силі|"
        r"среди\s+военн\w+|серед\s+військов\w+|составили|склали|за\s+сутки|за\s+добу))" + _E,
    ),
    (
        "losses",
        # "потерял до 300 военнослужащих", "ліквідовано 1000 окупантів",
        # "уничтожено до 40 иностранных наемников", "N окупантів ліквідовано".
        _B + r"(?:потерял\w*|потеряв\w*|втратив\w*|втратил\w*|ликвидирован\w*|"
        r"уничтожен\w*|ліквідовано|ліквідован\w*|знищено|знищен\w*|нейтрализован\w*|"
        r"нейтралізован\w*|лишились|позбулися)\s+"
        + _NUM
        + r"\s*(?:\w+\s+)?"
        + _FORCES
        + _LOSS_TAIL
        + _E,
    ),
    (
        "losses",
        _B + _NUM + r"\s+(?:\w+\s+){0,2}?" + _FORCES + r"(?:\s+(?:всу|зсу))?\s+"
        r"(?:было\s+|було\s+)?(?:ліквідовано|ликвидирован\w*|уничтожен\w*|знищено)" + _E,
    ),
    (
        "death",
        _B + r"(?:погиб(?:ла|ло|ли|ш\w+)?|гибел\w+|убит(?:а|о|ы|ый|ая|ое|ые|ых|ого|ому|"
        r"ым|ыми|ую|ой)?|убил[аи]?|убийств\w*|скончал\w+|умер(?:ла|ли|ш\w+)?|"
        r"застрел(?:ен|ена|ено|ены|енн\w+|ил|ила|или|ился|илась|ились)|ликвидирован[аыо]?|загин(?:ув|ула|уло|ули)|загибл\w+|загибел\w+|"
        r"вбит(?:ий|а|і|их|о|ого|ому|им|ими|у)?|вбив(?:ство\w*|ства)?|вбил[аи]|"
        r"вбивств\w*|помер(?:ла|ли|л\w+)?|смерт(?:ь|и|ью|ей|і|ю)|насмерть|"
        r"труп(?:а|ы|у|ов|ом|е|ами|ах)?|мертв\w+|полегл\w+|поліг|полягли|павш(?:ие|их|им)|"
        r"летальн\w+\s+исход\w*|смертельн\w+\s+(?:случа\w+|исход\w*)|"
        r"тел[оа]?\s+(?:\w+\s+)?(?:погибш\w+|убит\w+|загибл\w+|мужчин\w*|женщин\w*|"
        r"ребенк\w*|ребёнк\w*|девушк\w*|парн\w*|военн\w+|солдат\w*|бойц\w*|"
        r"школьни\w+|подростк\w*|пропавш\w+|жертв\w*|мирн\w+)|"
        r"тіл[оа]?\s+(?:\w+\s+)?(?:загибл\w+|вбит\w+|чоловік\w*|жінк\w*|дитин\w*|"
        r"військов\w+|бійц\w*|цивільн\w+|мирн\w+|зниклих)|"
        r"(?:нашли|найден[оаы]?|обнаружен[оаы]?|обнаружили|извлекли|извлечен[оаы]?|"
        r"опознал[аи]?|опознан[оаы]?|знайшли|знайдено|виявлено|вивезли|передали|"
        r"репатриирован\w*)\s+(?:\w+\s+){0,2}?т[еі]л[оа]|"
        r"жертв(?:ы|ами|и|ам)\s+(?:\w+\s+)?(?:обстрел\w*|удар\w*|атак\w*|теракт\w*|"
        r"нападени\w*|взрыв\w*|авари\w*|дтп|пожар\w*|стрельб\w*|войн\w*|агресси\w*|"
        r"трагеди\w*|катастроф\w*|крушени\w*|обстріл\w*|вибух\w*|трагеді\w*|"
        r"катастроф\w*|агресі\w*|среди|серед)|"
        r"(?:число|количество|кількість|числа|количества|кількості|сотни|тысячи|"
        r"десятки|сотні|тисячі|десятки)\s+(?:\w+\s+)?жертв\w*|\d+\s+жертв\w*|"
        r"человеческ\w+\s+жертв\w*|людськ\w+\s+жертв\w*|"
        # "віддав життя за Україну", "отдал жизнь", "життя обірвалося".
        r"(?:отдал[аи]?|віддав|віддала|віддали|поклав|поклали)\s+(?:сво\w+\s+)?"
        r"(?:жизн[ьи]|життя)|(?:жизнь|життя)\s+оборвал\w*|(?:жизнь|життя)\s+обірвал\w*|"
        # "потеряла сына", "втратив рідних": someone close died.
        r"(?:потерял[аи]?|втратив|втратила|втратили)\s+(?:сво\w+\s+)?(?:родных|близких|"
        r"рідних|близьких|сына|сина|мужа|чоловіка|отца|батька|брата|дочь|доньку|дочку|"
        r"мать|матір|маму|детей|дітей))" + _E,
    ),
    (
        "wounded",
        _B + r"(?:ранен(?:а|о|ы|ый|ая|ое|ые|ых|ого|ому|ым|ыми|ую|ой|ие|ия|ий|ием|иям|"
        r"иями|иях)?|ранил[аио]?|поранен\w*|поранив\w*|поранил\w*|поранено|ранени\w*|"
        r"пострадал[аио]?|пострадавш\w+|постраждал\w*|постраждав\w*|"
        r"травм(?:а|ы|у|ой|ами|ах|и|ою)?|травмирова\w+|травмован\w*|травмува\w+|"
        r"контуз\w+|контуж\w+|увечь\w+|покалеч\w+|каліцтв\w+)" + _E,
    ),
    (
        "captured",
        _B + r"(?:(?:военно|військово)?пленн\w+|(?:військово)?полонен\w+|"
        r"(?:в|у|из|з|із)\s+(?:плен(?:у|а|е)?|полон(?:і|у)?)|плен(?:а|у|ом)|"
        r"(?:попал\w*|взят\w*|взяли|сдал\w*|сдаться|потрапи\w+|взяти|здал\w*|здатися)"
        r"\s+(?:в\s+плен|у\s+полон|в\s+полон)|заложник\w*|заручник\w*)" + _E,
    ),
    (
        "missing",
        _B + r"(?:(?:пропал\w*|пропавш\w+|числ\w+|зник\w*|зниклий|зниклих|зниклі|"
        r"зниклого|вважа\w+)\s+)?(?:без\s+вести|безвест\w+|безвісти|безвісті|без\s+вісти)"
        r"(?:\s+(?:пропавш\w+|пропал\w*|зниклий|зниклих|зниклі|зниклого|зник\w*))?" + _E,
    ),
    (
        "condolence",
        _B + r"(?:вечн\w+\s+памят\w+|вічн\w+\s+пам['’ʼ]ят\w+|светл\w+\s+памят\w+|"
        r"світл\w+\s+пам['’ʼ]ят\w+|царств\w+\s+небесн\w+|соболезн\w+|соболезну\w+|"
        r"співчутт\w+|співчува\w+|скорбим|скорбью|скорблю|скорбь|скорботою|"
        r"сумуємо|сумую|покойся\s+с\s+миром|спочивай\s+з\s+миром|спи\s+спокойно|"
        r"земля\s+(?:ему\s+|ей\s+|им\s+|йому\s+|їй\s+|їм\s+)?пухом|"
        r"земля\s+буде\s+пухом|помянем|упокой\w*|траур\w*|"
        # uk "жалоба" is mourning, ru "жалоба" a complaint: only as a day of mourning.
        r"(?:день|дні|днем|дня|оголош\w+|національн\w+)\s+жалоб[аиуі]|"
        r"помним(?=\s*(?:[.!,…\n]|$|и\s+скорбим))|пам['’ʼ]ятаємо(?=\s*(?:[.!,…\n]|$)))" + _E,
    ),
)
#: Literal stems one of the patterns needs ("_" stands for a space, "~" for a no-break
#: space); a post without any (four in five) is skipped after one scan
#: (``bench/text_rules.py``).
_ANCHOR = any_of(
    stem.replace("_", " ").replace("~", "\xa0")
    for stem in (  # noqa: SIM905 (a word list reads better as text)
        "погиб гибел отдал віддав поклав оборвал обірвал "
        "убит убил убийств скончал умер застрел ликвид загин загибл вбит вбив "
        "вбил помер смерт труп мертв полегл поліг полягли павш летальн тело тела тіло тіла "
        "тел_ тіл_ жертв ранен ранил поран пострада постражд травм контуз контуж увечь покалеч "
        "каліцтв пленн _плен ~плен _полон ~полон полонен заложник заручник без_вест "
        "без~вест безвест безвісти безвісті без_вісти вечн светл вічн світл царств "
        "соболезн співчу скорб сумую сумуєм покойся спочивай спокойно пухом помянем упокой "
        "траур жалоб помним пам'ятаєм пам’ятаєм памʼятаєм потер втрат уничтож знищ ліквід "
        "нейтрал позбул лишились"
    ).split()
)
_COMPILED: tuple[tuple[CasualtyKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in _PATTERNS
)
#: "RIP" only in capitals: "rip" is an English word.
_RIP = re.compile(r"(?<![A-Za-z])R\.?I\.?P\.?(?![A-Za-z])")
#: The denial before a cue in the same clause: "не пострадал", "никто не погиб", "не было
#: раненых", "без жертв", "обошлось без пострадавших", "не було поранених".
_NEGATED_BEFORE = re.compile(
    r"(?:(?<![\w'’ʼ])(?:не|ни|ні|без|нет|немає|нема)"
    r"(?:\s+(?:был[аио]?|было|був|була|було|були|буде|будет|оказалось|виявилося|"
    r"стал[аио]?|стало|зафиксировано|зафіксовано|выявлено|виявлено))?"
    r"|(?<![\w'’ʼ])(?:обошлось|обійшлося|обійшлось)\s+без)\s+$"
)
#: The denial after a cue: "жертв нет", "постраждалих немає", "о погибших не сообщается".
_NEGATED_AFTER = re.compile(
    r"^\s*(?:[\w-]+\s+){0,2}?(?:нет|немає|нема|не\s+было|не\s+було|не\s+выявлено|"
    r"не\s+виявлено|не\s+поступал\w*|не\s+надходил\w*|не\s+сообщается|не\s+повідомляється|"
    r"не\s+зафиксировано|не\s+зафіксовано|не\s+имеется)(?![\w'’ʼ])"
)
#: "пострадали три дома": damage to property, not people.
_PROPERTY = re.compile(
    r"^\s*(?:[\w-]+\s+){0,2}?(?:дом\w*|здани\w*|будин\w*|будівл\w*|автомобил\w*|машин\w*|"
    r"автомобіл\w*|объект\w*|об['’ʼ]єкт\w*|инфраструктур\w*|інфраструктур\w*|квартир\w*|"
    r"строени\w*|предприят\w*|підприєм\w*|склад\w*|вещ\w*|имуществ\w*|майн\w*|крыш\w*|окн\w*|вікн\w*|сооружени\w*|"
    r"лини\w*|подстанц\w*|підстанц\w*|гараж\w*|магазин\w*|школ\w*|ТЦ|тц|частн\w+\s+дом\w*|"
    r"аккаунт\w*|акаунт\w*|сайт\w*|компани\w*|компані\w*|бизнес\w*|бізнес\w*)"
    r"(?![\w'’ʼ])"
)
#: "пожар ликвидирован", "последствия ликвидированы": a fire or a debt, not a person.
_NOT_A_PERSON = re.compile(
    r"(?:пожар|возгоран|горени|огн|последстви|очаг|утечк|разлив|авари|дтп|задолженност|"
    r"долг|компани|предприяти|организаци|филиал|отделени|угроз|пробк|затор|неисправност)"
)
#: ... or named just before it ("аккаунтов пострадало", "личные вещи пострадали").
_PROPERTY_BEFORE = re.compile(
    r"(?:аккаунт|акаунт|дом|здани|будин|автомобил|машин|квартир|объект|имуществ|майн|вещ|"
    r"реч|строени|крыш|сайт|компани)\w*\s+$"
)
#: People named right after the wounded word keep it wounded whatever stands before it
#: ("по дому пострадали три человека").
_PEOPLE_AFTER = re.compile(
    r"^\s*(?:[\w-]+\s+){0,2}?(?:человек|людей|люди|жител\w*|мужчин\w*|женщин\w*|"
    r"реб[её]н\w*|дет\w*|дитин\w*|діт\w*|особ\w*|осіб|мирн\w*|цивільн\w*|"
    r"военн\w*|військов\w*|пассажир\w*|пасажир\w*|водител\w*|водій\w*|\d+)"
)
#: "жители дома пострадали": the people of the house.
_PEOPLE_BEFORE = re.compile(r"жител|мешкан|люд|человек|пассажир|пасажир|сотрудник|рабоч")
#: The wounded words that also say a building was damaged.
_WOUNDED_WORDS = ("пострадал", "постраждал", "пострадавш")
#: Cues searched on a lower-cased copy; a text whose lower case changes length (a rare
#: Turkish dotted İ) is searched character by character instead.
_WINDOW = 40
#: The patterns run only this far around an anchor stem: the longest cue found in the
#: corpus ("потерял до 1505 военнослужащих убитыми и ранеными") starts within 80
#: characters before its stem and ends within 100 after it.
_BEFORE = 80
_AFTER = 100


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch.lower()[:1] or ch for ch in text)


#: "информация о пострадавших уточняется": nobody is known to be hurt yet.
_UNCONFIRMED_BEFORE = re.compile(r"(?:информаци|данны|сведени|інформаці|дані)\w*\s+(?:о|про)\s+$")
_UNCONFIRMED_AFTER = re.compile(r"^\s*(?:уточня|з['’ʼ]ясов)")


def _negated(low: str, start: int, end: int) -> bool:
    before = low[max(0, start - _WINDOW) : start]
    if _NEGATED_BEFORE.search(before):
        return True
    after = low[end : end + _WINDOW]
    if _UNCONFIRMED_BEFORE.search(before) and _UNCONFIRMED_AFTER.search(after):
        return True
    return _NEGATED_AFTER.search(after) is not None


def _dropped(low: str, kind: CasualtyKind, start: int, end: int) -> bool:
    """Whether a cue is denied, or names a fire put out or damaged property, not people."""
    if _negated(low, start, end):
        return True
    before = max(0, start - 25)
    after = low[end : end + _WINDOW]
    if kind == "death" and low.startswith("ликвид", start):
        return _NOT_A_PERSON.search(low, max(0, start - _WINDOW), end + _WINDOW) is not None
    if kind != "wounded" or not low.startswith(_WOUNDED_WORDS, start):
        return False
    if _PEOPLE_AFTER.search(after):
        return False
    if _PROPERTY.search(after):
        return True
    return bool(
        _PROPERTY_BEFORE.search(low, before, start)
        and not _PEOPLE_BEFORE.search(low, before, start)
    )


def find_casualty(text: str) -> tuple[CasualtyCue, ...]:
    """Every casualty cue in ``text`` that is not negated, in order of their start.

    A cue inside a longer one (a death word inside a losses phrase) is dropped, so that
    one phrase gives one kind.
    """
    low = _lower(text)
    windows: list[tuple[int, int]] = []
    for anchor in _ANCHOR.finditer(low):
        start, end = max(0, anchor.start() - _BEFORE), anchor.end() + _AFTER
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    found: list[tuple[int, int, CasualtyKind]] = []
    for kind, pattern in _COMPILED:
        for window_start, window_end in windows:
            for match in pattern.finditer(low, window_start, window_end):
                start, end = match.span()
                if _dropped(low, kind, start, end):
                    continue
                found.append((start, end, kind))
    if "R" in text:
        found.extend((m.start(), m.end(), "condolence") for m in _RIP.finditer(text))
    if not found:
        return ()
    found.sort(key=lambda hit: (hit[0], -hit[1]))
    cues: list[CasualtyCue] = []
    last_end = -1
    for start, end, kind in found:
        if start < last_end:
            continue
        cues.append(CasualtyCue(kind, start, end, text[start:end]))
        last_end = end
    return tuple(cues)
