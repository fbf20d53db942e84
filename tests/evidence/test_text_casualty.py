"""Casualty cues: built ru / uk sentences, negation, false friends, and real posts.

The expected kinds were decided by reading each text: "death" is people dying (one or
many, soldiers or civilians), "losses" a side's aggregate as statistics, a prisoner
exchange "captured".
"""

from __future__ import annotations

import time

import pytest

from geotrace.evidence.text.casualty import find_casualty
from tests.evidence.textkit import corpus_texts


def _kinds(text: str) -> set[str]:
    return {cue.kind for cue in find_casualty(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Вечная память, погиб под Иловайском", {"condolence", "death"}),
        ("Вічна пам'ять Герою! Загинув під Бахмутом 12 травня.", {"condolence", "death"}),
        ("В результате обстрела погибли 5 мирных жителей, ещё трое ранены.", {"death", "wounded"}),
        ("Два человека погибли, 11 пострадали.", {"death", "wounded"}),
        ("Внаслідок удару загинули двоє людей, ще семеро поранені.", {"death", "wounded"}),
        ("Он скончался в больнице от полученных ранений.", {"death", "wounded"}),
        ("Тело мужчины нашли в лесу.", {"death"}),
        ("Тіла загиблих передали родинам.", {"death"}),
        ("Число погибших возросло до 12.", {"death"}),
        ("Жертвами удара стали 14 человек.", {"death"}),
        ("Помер наш побратим.", {"death"}),
        ("Главарь боевиков ликвидирован.", {"death"}),
        ("В котельной погиб рабочий.", {"death"}),
        ("Собака укусила ребенка, ребенок ранен.", {"wounded"}),
        ("В ходе боёв были ликвидированы сотни террористов.", {"losses"}),
        ("Потери ВСУ за сутки составили до 1500 военнослужащих.", {"losses"}),
        ("Противник потерял до 300 военнослужащих убитыми и ранеными.", {"losses"}),
        ("За добу ліквідовано 1200 окупантів.", {"losses"}),
        ("Загальні бойові втрати противника склали 600 000 осіб.", {"losses"}),
        ("Он попал в плен под Авдеевкой в феврале.", {"captured"}),
        ("Состоялся обмен пленными: 95 на 95.", {"captured"}),
        ("Відбувся обмін полоненими, додому повернулися 207 захисників.", {"captured"}),
        ("Мій брат потрапив у полон у Маріуполі.", {"captured"}),
        ("Сын пропал без вести под Бахмутом в мае.", {"missing"}),
        ("Мій чоловік зник безвісти на Запорізькому напрямку.", {"missing"}),
        ("Соболезнования родным и близким.", {"condolence"}),
        ("Щирі співчуття рідним.", {"condolence"}),
        ("Царство небесное, светлая память.", {"condolence"}),
        ("RIP, брат.", {"condolence"}),
        ("Помним. Скорбим.", {"condolence"}),
        ("Сумуємо разом з родиною.", {"condolence"}),
        ("Он не ранен, но контужен.", {"wounded"}),
        ("Звання Героя присвоєно посмертно.", {"death"}),
        ("Ціною власного життя він підірвав міст.", {"death"}),
        ("Вторгнення забрало вже тисячі життів.", {"death"}),
        ("Горно-штурмовая бригада ВСУ понесла ощутимые потери.", {"losses"}),
        ("Ми, на жаль, маємо втрати.", {"losses"}),
        ("В ходе боёв около 90 человек было уничтожено.", {"losses"}),
        ("Взвод элитной бригады ВСУ уничтожен под Купянском.", {"losses"}),
        ("Ещё 9 доставлены в больницу с ожогами.", {"wounded"}),
        ("Поиски пропавших продолжаются.", {"missing"}),
        ("Вчера похоронили брата.", {"death"}),
        ("Прощання з Героєм відбудеться завтра.", {"death"}),
        ("Брат трёхсотый, лежит в госпитале.", {"wounded"}),
        ("Подорвался на мине под Угледаром.", {"wounded"}),
        ("Пусть земля будет пухом.", {"condolence"}),
    ],
)
def test_built_sentences(text: str, expected: set[str]) -> None:
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Negation before or after the cue.
        "Никто не пострадал.",
        "Пострадавших нет.",
        "Обошлось без пострадавших.",
        "Обошлось без жертв.",
        "Жертв немає.",
        "Не було поранених.",
        "Водитель не пострадал, машина сгорела.",
        "Ребенок чудом не погиб.",
        "Пострадавших и разрушений нет, заявил губернатор.",
        "Пострадавших и разрушений на земле нет.",
        "Пострадавших на данный момент нет.",
        "Предварительно, обошлось без жертв и пострадавших.",
        "Обійшлося без загиблих та поранених.",
        "Информация о пострадавших уточняется.",
        # Survival is not a casualty.
        "Солдат выжил и уцелел после боя.",
        # False friends: ранее is not ранен, nor рано; a deadly act, killing time, a
        # captivating evening, fainting, a donation, "full of strength".
        "Ранее сообщалось о закрытии дороги.",
        "Рано утром начался обстрел.",
        "Это был смертельный номер циркача.",
        "Как убить время в очереди?",
        "Пленительный вечер на набережной.",
        "У мужчины потеря сознания и давление.",
        "Благотворительный фонд принимает пожертвования.",
        "Он полон сил и планов.",
        "Прощание с летом в парке Горького.",
        "Ми пам'ятаємо, як починаються війни.",
        # Animals.
        "Накануне в Солнечногорске скончалась пятилетняя чихуахуа.",
        "В 2022 году волк убил пони главы Еврокомиссии.",
        "Десятки питомцев пострадали от рук догхантеров.",
        "Их жилье пострадало во время обстрела.",
        # Money lost to fraud; weapons and vehicles destroyed.
        "Футболистка пострадала от действий телефонных мошенников.",
        "Уничтожены две гаубицы и склад боеприпасов.",
        # Damage to buildings, fires put out.
        "В результате атаки пострадали три дома и два автомобиля.",
        "Пожар ликвидирован.",
        "Открытое горение в помещениях РНЦХ им. академика Б. В. Петровского ликвидировано.",
    ],
)
def test_no_casualty(text: str) -> None:
    assert find_casualty(text) == ()


def test_cues_carry_their_words() -> None:
    text = "Вечная память. Погиб 3 мая, ещё двое ранены."
    cues = find_casualty(text)
    assert [(c.kind, c.text) for c in cues] == [
        ("condolence", "Вечная память"),
        ("death", "Погиб"),
        ("wounded", "ранены"),
    ]
    assert all(text[c.start : c.end] == c.text for c in cues)


def test_offsets_hold_when_lower_case_changes_length() -> None:
    # "İ".lower() is two characters: the cue must still point into the original text.
    text = "İstanbul: погибли 2 человека"
    (cue,) = find_casualty(text)
    assert (cue.kind, text[cue.start : cue.end]) == ("death", "погибли")


def test_a_losses_phrase_is_one_cue() -> None:
    cues = find_casualty("Противник потерял до 300 военнослужащих убитыми и ранеными.")
    assert [c.text for c in cues] == ["потерял до 300 военнослужащих убитыми и ранеными"]


#: Real posts and the kinds a reader gives them.
REAL: dict[str, set[str]] = {
    # Sumy: "шесть погибших, много раненых" ... "Мои соболезнования семьям"
    "tgnews_-1001003921752_73042": {"death", "wounded", "condolence"},
    # Daily summary: "противник потерял до 1505 военнослужащих", "потери ВСУ за сутки"
    "tgnews_-1001101170442_270978": {"losses"},
    # "Пострадало минимум три человека, погибших нет."
    "tgnews_-1001754252633_125278": {"wounded"},
    # "пострадавших и разрушений нет"
    "tgnews_-1001101170442_270805": set(),
    # "220 дітей були вбиті, 406 – зазнали поранень"
    "resistinua_dQG3abeRUQk_4": {"death", "wounded"},
    # "заключенные взяли в заложники двух сотрудников СИЗО": hostages, not prisoners of war
    "tgnews_-1001259695380_18019": set(),
    # "Группа солдат ... сдалась в плен российским войскам"
    "tgnews_-1001101170442_271625": {"captured"},
    # "Умерла актриса Лидия Ильина"
    "tgnews_-1001326203371_26610": {"death"},
    # "Четыре человека пропали без вести."
    "tgnews_-1001117628569_58553": {"missing"},
    # "никто не пострадал"
    "tgnews_-1001101170442_271191": set(),
    # "Открытое горение ... ликвидировано" ... "Никто не пострадал"
    "tgnews_-1001125816841_46134": set(),
    # "загинула дитина – хлопчик 14 років. Поранення дістала й дівчина"
    "resistinua_dQG3abeRUQk_3": {"death", "wounded"},
    # "загинула журналістка" ... "Мої співчуття" ... "Вічна памʼять усім жертвам"
    "resistinua_Dkd2aidrZxI_16": {"death", "condolence"},
    # "селян, яких взяли у полон" ... "з втечею полонених"
    "resistinua_dQG3abeRUQk_13": {"captured"},
    # "Погибший — один из пилотов. Жители дома ... чудом не пострадали"
    "tgnews_-1001100158992_74522": {"death"},
    # "одна из бортпроводниц получила легкие травмы, никто из пассажиров не пострадал"
    "tgnews_-1001003921752_72817": {"wounded"},
}


@pytest.mark.parametrize("ident", sorted(REAL))
def test_realcorpus_texts(ident: str) -> None:
    text = corpus_texts({ident})[ident]
    assert _kinds(text) == REAL[ident]


def test_speed_floor() -> None:
    texts = list(corpus_texts().values())[:5000]
    start = time.perf_counter()
    for text in texts:
        find_casualty(text)
    rate = len(texts) / (time.perf_counter() - start)
    assert rate > 1000, f"{rate:.0f} texts/s"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Украинские десантники сдались бойцам 1-й танковой армии.", {"captured"}),
        ("Російські солдати здалися бійцям ЗСУ під Харковом.", {"captured"}),
        ("Он сдал экзамен и сдался только к вечеру.", set()),
        ("Россия держит в заложниках сотни тысяч людей в Мариуполе.", set()),
        ("Давайте садиться за стол переговоров. Чтобы остановить гибель людей.", set()),
        ("Треба зупинити загибель цивільних.", set()),
        ("В случае гибели военнослужащего семья получит выплату.", set()),
    ],
)
def test_surrender_is_captured_hostages_and_fears_are_not(text: str, expected: set[str]) -> None:
    assert {cue.kind for cue in find_casualty(text)} == expected
