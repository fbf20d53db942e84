"""Hand tables for ``build_names.py``: names open data lacks or gets wrong.

Sources: general knowledge of Russian and Ukrainian usage, checked against the names the
research set (``../shared/research/text.md``) found missing, Wikipedia's lists of Ukrainian
and Russian renamed settlements (2016 decommunisation laws, 1990s Russian renamings) and
the federal districts of Russia.  Every admin-1 code below is checked against the shipped
admin-1 layer when the build runs, every settlement against GeoNames.
"""

from __future__ import annotations

#: Natural Earth admin-1 (ru, uk) names that are wrong: RU-ALT, Altai Krai, carries the
#: republic's; UA-32, Kyiv oblast, carries the city's (which UA-30 and the city have).
ADMIN1_NAME_FIX = {
    "RU-ALT": ("Алтайский край", "Алтайський край"),
    "UA-32": ("Киевская область", "Київська область"),
}

#: Russia's republics, which the admin-1 layer often names bare ("Бурятия"); the build adds
#: "Республика X" (and "в Республике X", the name left in the nominative) for them.
REPUBLICS = frozenset(
    "RU-AD RU-AL RU-BA RU-BU RU-DA RU-IN RU-KB RU-KL RU-KC RU-KR RU-KO RU-ME RU-MO RU-SA "  # noqa: SIM905 (a code list reads better as text)
    "RU-SE RU-TA RU-TY RU-UD RU-KK RU-CE RU-CU".split()
)

#: Other names of countries, beside Natural Earth's NAME_RU / NAME_UK: short and official
#: forms, abbreviations (kept although <= 2 letters) and the everyday metonyms.
COUNTRY_EXTRA: dict[str, tuple[str, ...]] = {
    "RU": ("Россия", "Росія", "РФ", "Российская Федерация", "Російська Федерація", "Расея"),
    # "Незалежная": Russian media's nickname of Ukraine (the gold set's labelling rules)
    "UA": ("Украина", "Україна", "Незалежная"),
    "US": (
        "США",
        "Соединённые Штаты",
        "Сполучені Штати",
        "Штаты",
        "Штати",
        "Америка",
        "Соединенные Штаты Америки",
        "Сполучені Штати Америки",
    ),
    "GB": (
        "Великобритания",
        "Великобританія",
        "Британия",
        "Британія",
        "Англия",
        "Англія",
        "Соединённое Королевство",
        "Сполучене Королівство",
    ),
    "BY": ("Беларусь", "Білорусь", "Белоруссия", "Республика Беларусь", "РБ"),
    "MD": ("Молдова", "Молдавия", "Молдавія"),
    "CN": ("Китай", "КНР"),
    "DE": ("Германия", "Німеччина", "ФРГ"),
    "CZ": ("Чехия", "Чехія", "Чешская Республика"),
    "AE": ("ОАЭ", "ОАЕ", "Эмираты", "Емірати"),
    "ZA": ("ЮАР", "ПАР"),
    "CD": ("ДРК", "ДР Конго"),
    "CF": ("ЦАР",),
    "NL": ("Нидерланды", "Нідерланди", "Голландия", "Голландія"),
    "KG": ("Киргизия", "Киргизстан", "Кыргызстан", "Киргизія"),
    "TM": ("Туркмения", "Туркменистан", "Туркменістан"),
    "GE": ("Грузия", "Грузія", "Сакартвело"),
    "TR": ("Турция", "Туреччина"),
    "PL": ("Польша", "Польща"),
    "IR": ("Иран", "Іран"),
    "SY": ("Сирия", "Сирія"),
    "KZ": ("Казахстан",),
    "AZ": ("Азербайджан",),
    "AM": ("Армения", "Вірменія"),
    "FI": ("Финляндия", "Фінляндія"),
    "TW": ("Тайвань",),
    "VA": ("Ватикан",),
    "XK": ("Косово",),
    "MK": ("Македония", "Македонія"),
    "SZ": ("Свазиленд",),
    "MM": ("Бирма", "Мьянма", "Мʼянма"),
    "CI": ("Кот-д'Ивуар", "Кот-д'Івуар"),
    "KR": ("Южная Корея", "Південна Корея", "Корея"),  # "Корея" alone: both, context decides
    "KP": ("КНДР", "Северная Корея", "Північна Корея", "Корея"),
}

#: Oblast, krai and republic nicknames -> admin-1 codes (Запорожье is also the city, which
#: GeoNames names itself; Крым is the peninsula's republic, UA-43 as the layer codes it).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "UA-63": ("Харківщина", "Харьковщина", "Слобожанщина"),
    "UA-14": (
        "Донеччина",
        "Донетчина",
        "Донетччина",
        "ДНР",
        "Донецкая народная республика",
        "Донецька народна республіка",
        "Донецкая Народная Республика",
    ),
    "UA-09": ("Луганщина", "ЛНР", "Луганская народная республика", "Луганська народна республіка"),
    "UA-65": ("Херсонщина",),
    "UA-23": ("Запоріжжя", "Запорожье", "Запорiжжя"),
    "UA-59": ("Сумщина",),
    "UA-74": ("Чернігівщина", "Черниговщина"),
    "UA-32": ("Київщина", "Киевщина"),
    "UA-53": ("Полтавщина",),
    "UA-18": ("Житомирщина",),
    "UA-05": ("Вінниччина", "Винничина", "Винниччина"),
    "UA-68": ("Хмельниччина", "Хмельнитчина", "Хмельничина"),
    "UA-61": ("Тернопільщина", "Тернопольщина"),
    "UA-46": ("Львівщина", "Львовщина"),
    "UA-07": ("Волинь", "Волынь"),
    "UA-56": ("Рівненщина", "Ровенщина", "Ровенская область"),  # the pre-2017 Russian name
    "UA-21": ("Закарпаття", "Закарпатье"),
    "UA-26": ("Прикарпаття", "Прикарпатье", "Івано-Франківщина", "Ивано-Франковщина"),
    "UA-51": ("Одещина", "Одесщина", "Одесчина"),
    "UA-48": ("Миколаївщина", "Николаевщина"),
    "UA-35": ("Кіровоградщина", "Кировоградщина"),
    "UA-71": ("Черкащина", "Черкасщина"),
    "UA-12": ("Дніпропетровщина", "Днепропетровщина", "Дніпровщина"),
    "UA-77": ("Буковина",),
    "UA-43": ("Крым", "Крим", "Республика Крым", "Республіка Крим"),
    "RU-BEL": ("Белгородчина", "Бєлгородщина", "Белгородщина"),
    "RU-KRS": ("Курщина",),
    "RU-BRY": ("Брянщина",),
    "RU-MOW": ("Подмосковье", "Підмосков'я"),
    "RU-LEN": ("Ленобласть", "Ленінградщина"),
    "RU-PRI": ("Приморье", "Примор'я"),
    "RU-STA": ("Ставрополье", "Ставропольщина", "Ставропілля"),
    "RU-KDA": ("Кубань",),
    "RU-ZAB": ("Забайкалье", "Забайкалля"),
    "RU-PER": ("Прикамье", "Прикам'я"),
    "RU-YAN": ("Ямал",),
    "RU-KHM": ("Югра", "Югра"),
    "RU-SA": ("Якутия", "Якутія", "Саха"),
    "RU-CE": ("Чечня", "Чечения", "Ичкерия", "Ічкерія", "Чеченская республика"),
    "RU-BA": ("Башкирия", "Башкирія", "Башкортостан"),
    "RU-TY": ("Тыва", "Тува", "Тива"),
    "RU-KEM": ("Кузбасс", "Кузбас"),
    "RU-SMO": ("Смоленщина",),
    "RU-PSK": ("Псковщина",),
    "RU-ORL": ("Орловщина",),
    "RU-TAM": ("Тамбовщина",),
    "RU-VOR": ("Воронежчина", "Воронежщина"),
    "RU-ROS": ("Ростовщина", "Донщина"),
    "RU-BU": ("Бурятия", "Бурятія"),
    "RU-CU": ("Чувашия", "Чувашія", "Чувашская республика"),
    "RU-UD": ("Удмуртия", "Удмуртія", "Удмуртская республика"),
    "RU-KO": ("Коми",),
    "RU-KAM": ("Камчатка",),
    "RU-SAK": ("Сахалин", "Сахалін"),
    "RU-CHU": ("Чукотка",),
    "RU-ARK": ("Поморье",),
    # the layer's name is "Северная Осетия-Алания" (one hyphenated word); texts write the
    # parts apart ("Северной Осетии – Алании") or the first alone
    "RU-SE": ("Северная Осетия", "Північна Осетія", "Алания", "Аланія"),
    # the official adjective + "республика", whose adjective lists share ("Кабардино-
    # Балкарской и Карачаево-Черкесской республик"); the layer names these by the noun
    "RU-KB": ("Кабардино-Балкарская республика", "Кабардино-Балкарська республіка"),
    "RU-KC": ("Карачаево-Черкесская республика", "Карачаєво-Черкеська республіка"),
}

#: Named regions: slug -> (names, member admin-1 codes).  Continent-like regions have no
#: members (their extent is given in ``REGION_EXTENT``).
REGIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "donbas": (("Донбасс", "Донбас", "ЛДНР", "Donbas", "Donbass"), ("UA-14", "UA-09")),
    "pryazovia": (("Приазовье", "Приазов'я"), ("UA-14", "UA-23")),
    "slobozhanshchyna": (("Слобожанщина", "Слобожанщина"), ("UA-63", "UA-59")),
    "novorossiya": (
        ("Новороссия", "Новоросія"),
        ("UA-14", "UA-09", "UA-23", "UA-65", "UA-48", "UA-51", "UA-63", "UA-12"),
    ),
    "galicia": (("Галичина", "Галиция", "Галичина"), ("UA-46", "UA-26", "UA-61")),
    "podillia": (("Поділля", "Подолье"), ("UA-05", "UA-68")),
    "siberia": (
        ("Сибирь", "Сибір"),
        (
            "RU-ALT",
            "RU-AL",
            "RU-IRK",
            "RU-KEM",
            "RU-KYA",
            "RU-NVS",
            "RU-OMS",
            "RU-TOM",
            "RU-TY",
            "RU-KK",
        ),
    ),
    "urals": (("Урал",), ("RU-KGN", "RU-SVE", "RU-TYU", "RU-CHE", "RU-KHM", "RU-YAN")),
    "north_caucasus": (
        ("Северный Кавказ", "Північний Кавказ"),
        ("RU-DA", "RU-IN", "RU-KB", "RU-KC", "RU-SE", "RU-CE", "RU-STA"),
    ),
    "caucasus": (
        ("Кавказ",),
        ("RU-DA", "RU-IN", "RU-KB", "RU-KC", "RU-SE", "RU-CE", "RU-STA", "RU-KDA", "RU-AD"),
    ),
    "far_east": (
        ("Дальний Восток", "Далекий Схід"),
        (
            "RU-SA",
            "RU-KAM",
            "RU-PRI",
            "RU-KHA",
            "RU-AMU",
            "RU-MAG",
            "RU-SAK",
            "RU-YEV",
            "RU-CHU",
            "RU-BU",
            "RU-ZAB",
        ),
    ),
    "europe": (("Европа", "Європа", "Евросоюз", "Євросоюз", "ЕС", "ЄС"), ()),
    "asia": (("Азия", "Азія"), ()),
    "middle_east": (("Ближний Восток", "Близький Схід"), ()),
    "africa": (("Африка",), ()),
    "karabakh": (("Карабах", "Нагорный Карабах", "Нагірний Карабах"), ()),
    "baltics": (("Прибалтика", "Балтия", "Балтія"), ()),
}

#: Extent of the member-less regions: (lat, lon, radius in km), rough by design.
REGION_EXTENT = {
    "europe": (50.0, 15.0, 2500.0),
    "asia": (45.0, 90.0, 5000.0),
    "middle_east": (29.0, 45.0, 1800.0),
    "africa": (2.0, 20.0, 4500.0),
    "karabakh": (39.8, 46.75, 80.0),
    "baltics": (56.8, 24.5, 450.0),
}

#: GeoNames id of today's settlement -> its former and other common names (some GeoNames
#: records carry no Cyrillic or no Russian form at all: Kamyanske, Siverskodonetsk).
#: GeoNames carries many of these already; the build prints which ones it did not.
OLD_NAMES: dict[int, tuple[str, ...]] = {
    713174: (  # Bakhmut
        "Артемовск",
        "Артемівськ",
        "Артёмовск",
        "Artemivsk",
        "Artemovsk",
    ),
    709930: (  # Dnipro
        "Днепропетровск",
        "Дніпропетровськ",
        "Днепр",
        "Dnepropetrovsk",
        "Dnipropetrovsk",
        "Екатеринослав",
        "Катеринослав",
    ),
    705812: (  # Kropyvnytskyi
        "Кировоград",
        "Кіровоград",
        "Кропивницкий",
        "Елисаветград",
        "Єлисаветград",
        "Kirovohrad",
        "Kirovograd",
    ),
    702658: (  # Luhansk
        "Ворошиловград",
        "Луганск",
    ),
    709717: (  # Donetsk
        "Сталино",
        "Юзовка",
        "Юзівка",
        "Донецк",
    ),
    701822: (  # Mariupol
        "Жданов",
        "Мариуполь",
    ),
    704508: (  # Kramatorsk
        "Краматорск",
    ),
    709932: (  # Kamianske
        "Днепродзержинск",
        "Дніпродзержинськ",
        "Каменское",
        "Dniprodzerzhynsk",
    ),
    704422: (  # Pokrovsk
        "Красноармейск",
        "Красноармійськ",
        "Покровск",
        "Krasnoarmiisk",
    ),
    710035: (  # Myrnohrad
        "Димитров",
        "Мирноград",
        "Dymytrov",
    ),
    709354: (  # Toretsk
        "Дзержинск",
        "Дзержинськ",
        "Торецк",
        "Dzerzhynsk",
    ),
    707688: (  # Chornomorsk
        "Ильичевск",
        "Іллічівськ",
        "Черноморск",
        "Illichivsk",
    ),
    704679: (  # Podilsk
        "Котовск",
        "Котовськ",
        "Подольск",
        "Kotovsk",
    ),
    698436: (  # Pokrov
        "Орджоникидзе",
        "Орджонікідзе",
        "Покров",
    ),
    6559559: (  # Horishni Plavni
        "Комсомольск",
        "Комсомольськ",
        "Горишние Плавни",
    ),
    692975: (  # Kadiyivka
        "Стаханов",
        "Стаханів",
        "Кадиевка",
    ),
    691999: (  # Sievierodonetsk
        "Северодонецк",
        "Сєвєродонецьк",
    ),
    702972: (  # Lysychansk
        "Лисичанск",
    ),
    703448: (  # Kyiv
        "Киев",
        "Kiev",
        "Київ",
    ),
    706483: (  # Kharkiv
        "Харьков",
        "Kharkov",
    ),
    698740: (  # Odesa
        "Одесса",
        "Odessa",
    ),
    687700: (  # Zaporizhzhia
        "Запорожье",
        "Запоріжжя",
        "Zaporozhye",
    ),
    700569: (  # Mykolaiv
        "Николаев",
        "Nikolaev",
    ),
    702550: (  # Lviv
        "Львов",
        "Lvov",
    ),
    697637: (  # Pereiaslav
        "Переяслав-Хмельницкий",
        "Переяслав-Хмельницький",
    ),
    498817: (  # Saint Petersburg
        "Ленинград",
        "Петроград",
        "Питер",
        "Leningrad",
    ),
    1486209: (  # Yekaterinburg
        "Свердловск",
    ),
    520555: (  # Nizhniy Novgorod
        "Горький",
    ),
    499099: (  # Samara
        "Куйбышев",
    ),
    472757: (  # Volgograd
        "Сталинград",
        "Царицын",
        "Stalingrad",
    ),
    554234: (  # Kaliningrad
        "Кенигсберг",
        "Кёнигсберг",
        "Königsberg",
    ),
    480060: (  # Tver
        "Калинин",
    ),
    2014407: (  # Ulan-Ude
        "Улан-Удэ",
    ),
    2019951: (  # Mirnyy
        "Мирный",
    ),
}

#: Function words and pronominal adverbs of both languages that GeoNames lists as the Cyrillic
#: name of some place (Ukrainian transliterations of foreign villages, mostly): never a
#: settlement or an admin-1 region in running text, so such keys are dropped for those (and
#: flagged common where a country or region keeps them: Того).  pymorphy3 finds the Russian
#: pronouns, prepositions and conjunctions itself; these are the ones it does not.
STOP_WORDS = frozenset(
    "там тут так где куда туда сюда здесь когда тогда уже еще тоже также вот вон даже "  # noqa: SIM905 (a word list reads better as text)
    "але або коли від проти які який яка яке саме що як про для та це ми ви вони бо щоб "
    "вже ще де чи його її їх цей той між після перед через над під без при до на за із зі "
    "по тому тоді теж також тепер зараз тут там так чому хто нас вас нам вам ним них неї "
    "він вона воно усі всі весь вся все інші інший своє свій своя мій моя наш ваш".split()
)

#: Ukrainian words that are also settlement names (pymorphy3's Russian dictionary does not
#: know them as ordinary words): the common flag for these forms.
UK_COMMON = frozenset(
    "слава перемога миру мир світло нова нове новий нові поле степ долина гора дуже вода "  # noqa: SIM905 (a word list reads better as text)
    "весна зоря дружба надія воля свобода мрія щастя праця радість сонце край лан роля "
    "майдан вигода сад садки промінь схід захід південь північ зірка ранок веселе весела "
    "світанок тиша луг гай береги берег балка яр лука рай кут українка".split()
)

#: Surface forms of Ukrainian words (adjectives, pronouns, verbs, demonyms) that are also
#: the name of some settlement, flagged common as they stand (not inflected: most are not
#: nouns).  Candidates: the lowercase words seen >= 3 times in the shared corpus's Ukrainian
#: addresses (``posts.jsonl``, CC0) whose key names only settlements and was not yet
#: flagged, counted once by hand on 2026-12-06 (H7, issue 18), then read and kept when they
#: are words first; plus the capitalised sentence-start words the issue's error list named
#: (Українська армія, Люту відсіч, Американська).
UK_COMMON_FORMS = frozenset(
    "тим аби речі терор таку такої самі дні хотів разі мати крок правди ким бити ані морі "  # noqa: SIM905 (a word list reads better as text)
    "доби добу живе якими біль майна тилу нині черзі катів міру киян користь сірої "
    "вільного вільному вільне високому південному мирне мирним мирний "
    "українського українському українським українська українську українське українські "
    "український українців українцям американська американську американське американський "
    "європейська європейську європейське лютий люта люту лютого лютої лютому лютим".split()
)

#: Place names pymorphy3 also knows as rarer common nouns ("буча": a row; "панама": a hat),
#: whose place reading is the one news means: never flagged common.
NOT_COMMON = frozenset({"Буча", "Панама"})
