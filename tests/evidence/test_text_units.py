"""Military unit mentions: built ru / uk sentences and real posts of the corpus.

The expected spans were decided by reading each text: what a reviewer would mark as a
unit (a number, a numbered or named formation), never whole armed forces, never the city
or the sea of Azov.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from geotrace.evidence.text.units import find_units
from tests.conftest import require_shared

POSTS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "text" / "posts.jsonl"


def _posts(ids: set[str] | None = None) -> dict[str, str]:
    """Texts by id (two ids occur twice in the corpus; the tests use neither)."""
    require_shared(POSTS)
    found: dict[str, str] = {}
    with POSTS.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if ids is None or row["id"] in ids:
                found[row["id"]] = row["text"]
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Unit numbers.
        ("Служил в в/ч 12345 под Ростовом.", ["в/ч 12345"]),
        ("Письма шлите на в/ч А1234, там примут.", ["в/ч А1234"]),
        ("Войсковая часть 12345 расположена в Чебаркуле.", ["Войсковая часть 12345"]),
        ("Він служить у військовій частині А1234.", ["військовій частині А1234"]),
        ("ВЧ А0000 получила новую технику", ["ВЧ А0000"]),
        ("Пишите на п/п 12345, дойдёт.", ["п/п 12345"]),
        ("Адрес: пп 12345, Иванову", ["пп 12345"]),
        ("Служил в военной части 54321", ["военной части 54321"]),
        # Numbered formations, abbreviations and ordinals.
        ("Бойцы 64-й ОМСБр стояли в Буче.", ["64-й ОМСБр"]),
        (
            "Военнослужащие 64-й отдельной мотострелковой бригады",
            ["64-й отдельной мотострелковой бригады"],
        ),
        ("5-та окрема танкова бригада тримає оборону", ["5-та окрема танкова бригада"]),
        ("Бійці 93 ОМБр «Холодний Яр» звільнили село", ["93 ОМБр «Холодний Яр»"]),
        ("Потери 155-й бригады морской пехоты велики", ["155-й бригады морской пехоты"]),
        ("1-й армейский корпус ДНР наступает", ["1-й армейский корпус"]),
        ("58-я общевойсковая армия и 200-я ОМСБр", ["58-я общевойсковая армия", "200-я ОМСБр"]),
        ("47 ОМБр на Авдіївському напрямку", ["47 ОМБр"]),
        ("72-й ОМБр імені Чорних Запорожців", ["72-й ОМБр імені Чорних Запорожців"]),
        ("Десантники 25-й ОВДБр", ["25-й ОВДБр"]),
        ("810-я бригада морской пехоты", ["810-я бригада морской пехоты"]),
        ("1-я гвардейская танковая армия", ["1-я гвардейская танковая армия"]),
        ("Командир 2-го батальона вышел на связь", ["2-го батальона"]),
        ("бійці 47 омбр", ["47 омбр"]),
        # A list sharing one noun, and a chain of a unit inside another, are one mention.
        ("72-й, 42-й и 108-й ОМБр", ["72-й, 42-й и 108-й ОМБр"]),
        ("Сапер 132-й бригады 51-й армии рассказал", ["132-й бригады 51-й армии"]),
        ("Бойцы 23-й ОСБ и 810-й ОГБМП", ["23-й ОСБ", "810-й ОГБМП"]),
        (
            "Командир группы отдельной бригады специального назначения ЮВО",
            ["отдельной бригады специального назначения ЮВО"],
        ),
        # Named formations.
        ("Батальйон «Айдар» воював під Щастям", ["Батальйон «Айдар»"]),
        ("Полк «Азов» обороняв Маріуполь", ["Полк «Азов»"]),
        ("Группировка войск «Днепр» отразила атаки", ["Группировка войск «Днепр»"]),
        ("ЧВК «Вагнер» ушла из Бахмута", ["ЧВК «Вагнер»"]),
        ("ЧВК Вагнер ушла из Бахмута", ["ЧВК Вагнер"]),
        ("Спецназ «Ахмат» зашёл в Марьинку", ["Спецназ «Ахмат»"]),
        ("Бойцы «Ахмата» отразили атаку", ["Бойцы «Ахмата»"]),
        ("Штурмовики «Пятнашки» взяли высоту", ["Штурмовики «Пятнашки»"]),
        (
            "Легион «Свобода России» и РДК зашли в Белгородскую область",
            ["Легион «Свобода России»", "РДК"],
        ),
        ("Добровольцы отряда «Барс-13» вернулись", ["отряда «Барс-13»"]),
        ("Барс-13 вернулся с задания", ["Барс-13"]),
        ("Бригада «Эспаньола» штурмует", ["Бригада «Эспаньола»"]),
        ("Полк имени Кастуся Калиновского", ["Полк имени Кастуся Калиновского"]),
        ("«Кракен» работает в Харькове", ["«Кракен»"]),
        ("Грузинский легион воюет под Бахмутом", ["Грузинский легион"]),
        ("Бойцы 1-го батальона 3-го полка", ["1-го батальона 3-го полка"]),
    ],
)
def test_built_sentences(text: str, expected: list[str]) -> None:
    assert [span.text for span in find_units(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        # The city and the sea, not the regiment.
        "Мы поехали в Азов на выходные.",
        "Азовское море в этом году теплее.",
        # Whole armed forces.
        "ВСУ и ЗСУ, ВС РФ, армия России и Росгвардия.",
        # Buildings, counts, dates, aircraft, vehicles, football.
        "Уничтожены 5 БМП и 2 танка.",
        "Москва, ул. Ленина, дом 5, корпус 2",
        "В 3-м корпусе больницы отключили свет.",
        "На фронт отправили 3 отдельные бригады.",
        "В 2022 году штурмовая бригада ушла на восток.",
        "На борту Ан-3 АК «Борус» было пятеро.",
        "«Ахмат» обыграл «Спартак» в матче РПЛ.",
        # A street named after a formation.
        "Гранату бросили у детской площадки на улице 43-й Армии.",
        # Civil teams and call signs.
        "Спасатели из отряда «Спасрезерв» достали котика.",
        "Бригада „скорой“ приехала через час.",
        "Командир отряда с позывным «Питон» рассказал.",
        "Группировка «Хезболла» обстреляла север Израиля.",
    ],
)
def test_not_units(text: str) -> None:
    assert find_units(text) == ()


def test_spans_are_offsets_into_the_text() -> None:
    text = "Вчера 93-я ОМБр «Холодный Яр» и ЧВК «Вагнер» встретились"
    spans = find_units(text)
    assert [(s.start, s.end) for s in spans] == [(6, 29), (32, 44)]
    assert all(text[s.start : s.end] == s.text for s in spans)


#: Real posts: the unit mentions a reader marks, as (text, occurrence) pairs, and whether
#: the finder's spans must be exactly these (False where the post also names a unit only
#: generically, "белорусского полка", which a reader may or may not mark).
REAL: dict[str, tuple[list[str], bool]] = {
    # "погиб начальник штаба 41-й бригады ракетных кораблей и катеров ЧФ"
    "tgnews_-1001117628569_59160": (["41-й бригады"], True),
    # "Десант 6-й армии РФ на бронемашинах"
    "tgnews_-1001100158992_74130": (["6-й армии"], True),
    # "Операторы БПЛА группы «Аида» спецназа «Ахмат»"
    "tgnews_-1001101170442_271255": (["спецназа «Ахмат»"], True),
    # "подразделение ВС РФ "ШтормZ"" ... "не связан с "ШтормZ""
    "tgnews_-1001117628569_58610": (['"ШтормZ"', '"ШтормZ"'], True),
    # "командиру окремого загону спецпризначення «Азов»"
    "resistinua_xDiT-RaceKo_38": (["загону спецпризначення «Азов»"], True),
    # «Африканский корпус» of former ЧВК «Вагнер» men
    "tgnews_-1001003921752_73307": (["Африканский корпус", "ЧВК «Вагнер»"], True),
    # "штабу подразделения ГУР Украины "Кракен""
    "tgnews_-1001101170442_270981": (['"Кракен"'], True),
    # "в составе батальона «Скиф» бригады «Терек»": one unit inside another
    "tgnews_-1001100158992_74852": (["батальона «Скиф» бригады «Терек»"], True),
    # 'Добровольцы отряда "БАРС-11" ... группировки войск "Днепр"'
    "tgnews_-1001101170442_271169": (['отряда "БАРС-11"', 'группировки войск "Днепр"'], True),
    # "взвод РДК*", "группу РДК*", "члены РДК*", "* РДК — запрещённая"
    "tgnews_-1001100158992_73994": (["РДК", "РДК", "РДК", "РДК"], True),
    # "72-й, 42-й, 59-й и 108-й ОМБр, 117-й бригаде ТРО, 78-й ОДШБрП"
    "tgnews_-1001117628569_59702": (
        ["72-й, 42-й, 59-й и 108-й ОМБр", "117-й бригаде", "78-й ОДШБрП"],
        True,
    ),
    # Kursk: 155-я бригада, 106-я дивизия, 56-й ГДШП, 810-я бригада, 155-й бригады
    "tgnews_-1001117628569_58350": (
        ["155-я бригада", "106-й тульской дивизии", "56-й ГДШП", "810-я бригада", "155-й бригады"],
        True,
    ),
    # "полка Кастуся Калиновского", "„полка Калиновского“"
    "tgnews_-1001003921752_73196": (["полка Кастуся Калиновского", "полка Калиновского"], False),
    # No unit: a rescue team, a sewing circle, an aircraft "Ан-3 АК".
    "tgnews_-1001125816841_45432": ([], True),
    "tgnews_-1001100158992_74186": ([], True),
    "tgnews_-1001117628569_58417": ([], True),
}


def _expected_spans(text: str, marks: list[str]) -> list[tuple[int, int]]:
    """Each mark at its next occurrence in the text."""
    spans: list[tuple[int, int]] = []
    next_from: dict[str, int] = {}
    for mark in marks:
        start = text.find(mark, next_from.get(mark, 0))
        assert start >= 0, mark
        next_from[mark] = start + 1
        spans.append((start, start + len(mark)))
    return spans


@pytest.mark.parametrize("ident", sorted(REAL))
def test_real_posts(ident: str) -> None:
    text = _posts({ident})[ident]
    marks, exact = REAL[ident]
    found = [(s.start, s.end) for s in find_units(text)]
    for start, end in _expected_spans(text, marks):
        assert any(s < end and start < e for s, e in found), text[start:end]
    if exact:
        assert len(found) == len(marks), [text[s:e] for s, e in found]


def test_speed_floor() -> None:
    texts = list(_posts().values())[:5000]
    start = time.perf_counter()
    for text in texts:
        find_units(text)
    rate = len(texts) / (time.perf_counter() - start)
    assert rate > 1000, f"{rate:.0f} texts/s"
