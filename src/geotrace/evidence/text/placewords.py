"""The words around a place name that say what it is: settlement words, feature words,
admin-1 nouns, organisation words before quotes, and the endings of Russian and Ukrainian
settlement names.

Hand-written lists, not a morphological dictionary: the text stage runs no pymorphy3 (issue
18's speed target), and these closed classes are small (a few hundred forms).  Lists are
whitespace-separated strings so that each stays a few lines.
"""

from __future__ import annotations

import re
from typing import Final

from geotrace.geodata.names import ABLT, ACCS, DATV, GENT, LOCT, NOMN


def _words(*groups: str) -> frozenset[str]:
    return frozenset(w for group in groups for w in group.split())


def _split(text: str) -> list[str]:
    return text.split()


_NA = NOMN | ACCS
_CASES: Final = {
    "na": _NA, "n": NOMN, "g": GENT, "d": DATV, "a": ACCS, "i": ABLT, "l": LOCT,
    "ld": LOCT | DATV, "gl": GENT | LOCT, "0": 0,
}  # fmt: skip
#: Settlement words with the case they are in; the name after them is in apposition (often
#: nominative: "в селе Победа"), so the settlement word carries the relation's case.
#: Abbreviations (пгт, смт, н. п.) carry no case: 0 lets the preposition's default decide.
SETTLEMENT: Final[dict[tuple[str, ...], int]] = {
    tuple(word.split("_")): _CASES[case]
    for entry in _split(
        """город:na города:g городе:l городом:i городу:d городок:na городка:g городке:l
        село:na села:g селе:l селом:i селу:d селі:l поселок:na поселка:g поселке:l
        поселком:i поселку:d деревня:n деревни:g деревне:ld деревню:a деревней:i
        станица:n станицы:g станице:ld станицу:a станицей:i хутор:na хутора:g хуторе:l
        хутором:i хутору:d хутір:na хуторі:l селище:na селища:g селищі:l селищем:i
        селищу:d місто:na міста:g місті:l містом:i місту:d станиця:n станиці:gl
        станицю:a пгт:0 смт:0 нп:0 н_п:0 населенный_пункт:na населенного_пункта:g
        населенном_пункте:l населенным_пунктом:i населений_пункт:na населеного_пункту:g
        населеному_пункті:l населеним_пунктом:i"""
    )
    for word, case in [entry.split(":")]
}
SETTLEMENT_MAX: Final = 2
#: Abbreviations that are settlement words only with their dot ("г. Донецк", "с. Победа",
#: "м. Київ"); without the dot "с"/"м" are other words.
SETTLEMENT_ABBR: Final = _words("г гор с м п д х смт пгт")
#: Words before an abbreviation that make it something else: "т. д.", "кв. м.", "куб. м.".
NOT_BEFORE_ABBR: Final = _words("т тыс кв куб млн млрд см мм км ч")

#: Words that make the (capitalised) name after them a feature, never placed.
FEATURE_BEFORE: Final[dict[str, str]] = {
    **dict.fromkeys(
        _words("река реки реке реку рекой рекою р річка річки річці річку річкою ріка ріки ріці"
               " ріку"),
        "river",
    ),
    **dict.fromkeys(
        _words(
            "улица улицы улице улицу улицей ул вулиця вулиці вулицю вулицею вул проспект",
            "проспекта проспекте проспекту проспектом проспекті просп пр-т бульвар бульвара",
            "бульваре бульварі б-р переулок переулке переулка пер провулок провулку площадь",
            "площади площа площі пл шоссе шосе трасса трассе траса трасі набережная",
            "набережной набережна набережній микрорайон микрорайоне мікрорайон мікрорайоні мкр",
        ),
        "street",
    ),
    **dict.fromkeys(
        _words(
            "аэродром аэродрома аэродроме аэродромом аэродрому аеродром аеродрому аеродромі",
            "аэропорт",
            "аэропорты аэропортах аэропортов аеропорти аеропортах аеропортів аэродромах",
            "аэропорта аэропорту аэропорте аеропорт аеропорту аеропорті авиабаза авиабазы",
            "авиабазе авиабазу авіабаза авіабази авіабазі авіабазу",
        ),
        "airfield",
    ),
    **dict.fromkeys(_words("высота высоты высоте высоту висота висоти висоті"), "height"),
    **dict.fromkeys(
        _words("станция станции станцию станцией станція станції станцію станцією"),
        "station",
    ),
    **dict.fromkeys(_words("парк парка парке парку парком парку парку"), "park"),
    **dict.fromkeys(
        _words("остров острова острове острову островом острів острова острові островом",
               "о-в о-ве"),
        "island",
    ),
    **dict.fromkeys(_words("мыс мыса мысе мысу мысом мис мису мисі мисом"), "cape"),
    **dict.fromkeys(
        _words("проезд проезда проезде проездом проїзд проїзду проїзді площу площею",
               "площадью площадь"),
        "street",
    ),
    # "в городских округах Домодедово, Раменское и Коломна": only after "городск-/міськ-"
    # (``OKRUG_ADJ``); "Раменского городского округа" is read as a name before its noun
    **dict.fromkeys(_words("округ округа округе округу округом окрузі округах округів"),
                    "district"),
}  # fmt: skip
#: Adjectives that make "округ" a municipal district (a feature, not an admin-1 unit).
OKRUG_ADJ: Final = ("городск", "міськ", "муниципальн", "муніципальн")
#: Feature words whose plural may head a list of names ("в аэропортах Шереметьево,
#: Домодедово и Жуковский"): each name of the list is a feature of that kind.
FEATURE_PLURAL: Final = _words(
    "аэропортах аэропортов аеропортах аеропортів аэродромах округах округів улицах вулицях"
)
#: Nouns after a capitalised adjective that make "Черное море", "Каховское водохранилище" a
#: feature.
FEATURE_AFTER: Final[dict[str, str]] = {
    **dict.fromkeys(
        _words("море моря морі морю морем морях океан океана океане океану океаном океані"),
        "sea",
    ),
    **dict.fromkeys(_words("парк парка парке парку парком"), "park"),
    **dict.fromkeys(
        _words(
            "водохранилище водохранилища водосховище водосховища водосховищі озеро озера",
            "озере озері залив залива заливе затока затоки затоці лиман лимана лимане лимані",
        ),
        "water",
    ),
    **dict.fromkeys(
        _words(
            "площадь площади площадью площа площі площу площею шоссе шосе кольцо кольца",
            "кольце кольцу кольцом проезд проезда проезде проспект проспекта проспекте",
            "проспекту проспекті улица улицы улице улицу вулиця вулиці вулицю бульвар",
            "бульвара бульваре бульварі переулок переулка переулке провулок провулку",
            "проезду проездом валу вал",
        ),
        "street",
    ),
    **dict.fromkeys(_words("мост моста мосте мосту мостом міст мосту мості мостом"), "bridge"),
    **dict.fromkeys(_words("дамба дамбы дамбе дамбу дамби дамбі"), "dam"),
    **dict.fromkeys(_words("роща рощи роще рощу рощей гаю гаї"), "forest"),
    **dict.fromkeys(_words("вокзал вокзала вокзале вокзалу вокзалом вокзалі вокзалі"), "station"),
    **dict.fromkeys(
        _words("аэропорт аэропорта аэропорту аэропорте аеропорт аеропорту аеропорті"),
        "airport",
    ),
    **dict.fromkeys(_words("остров острова острове острів острові"), "island"),
    **dict.fromkeys(
        _words(
            "аэс аес атомная атомной атомную атомна атомної атомну атомній электростанция",
            "электростанции електростанція електростанції",
        ),
        "plant",
    ),
    # "по Холодногорскому и Новобаварскому районам Харькова": city districts
    **dict.fromkeys(_words("районам районах районов районы райони районів"), "district"),
}
#: Plural feature nouns after a list of adjectives: "на Чорному та Азовському морях".
FEATURE_PLURAL_AFTER: Final = _words(
    "моря морях морей районам районах районов райони районів районами площадях улицах"
)
#: Ukrainian adjective endings ADJECTIVE and ADJ_ENDS leave out ("Запорізьку", "Київська").
UK_ADJ_ENDS: Final = ("ську", "цьку", "зьку", "ська", "цька", "зька", "ське", "цьке", "зьке")
#: Nouns that may follow "атомн-" in a plant's name: "Запорізьку атомну станцію".
PLANT_NOUN: Final = _words(
    "станция станции станцию станцией станція станції станцію станцією электростанция",
    "электростанции электростанцию електростанція електростанції електростанцію",
)
#: Nouns that complete an admin-1 adjective: "Донецкой области" is one mention.
ADMIN_NOUN: Final = _words(
    "область области областью областей областям областями областях обл області областю",
    "край края крае краю краем краи краях краї республика республики республике республику",
    "республикой республіка республіки республіці республіку республікою район района районе",
    "республик республиках республикам республік республіках",
    "району районом районі округ округа округе округу округом окрузі",
)
#: A raion after a settlement's adjective is no admin-1 unit ("Покровский район").
RAION: Final = _words("район района районе районі районом району")
REPUBLIC: Final = _words(
    "республика республики республике республику республикой республіка республіки",
    "республіці республіку республікою",
)
#: What joins the members of an elliptic list: "Донецкой и Луганской областях".
CONJ: Final = _words("и і й та или або а")
#: Countries whose big cities keep a name that is also an ordinary word or a surname.
HOME: Final = frozenset({"UA", "RU", "BY"})

#: Words before quotes that make the quoted name an organisation, unit, club or object.
ORG: Final = re.compile(
    "(?:"
    + "|".join(
        _split(
            """полк батальон батальйон бригад группировк угрупов отряд загін загон фк пфк мфк
        хк бк ск клуб завод комбинат компани компані фирм корпорац банк концерн холдинг
        тц трц жк метро станци станці гостиниц отел готел газет журнал телеканал канал
        радио команд спецназ подраздел підрозділ операци операці учени навчан санатори
        лагер табір движени рух парти фонд центр тэц тец аэс аес гэс гес шахт рынок
        ринок ресторан кафе кинотеатр стадион стадіон проект проєкт фестивал форум
        корабл судн крейсер катер фрегат подлодк корвет танкер комплекс систем зрк пзрк
        ракет кампани акци"""
        )
    )
    + ")"
)
#: Capitalised words after "около/под" that look like a toponym but are a feast or idiom.
NOT_TOPONYM: Final = _words("нового новый новым новому рождества пасхи")
#: Endings of settlement names in any case (-ово, -ино, -ное, -ка, -ськ, -івка, -поль ...):
#: after a "near" phrase they keep a name the gazetteer lacks ("в районе Работино").
TOPONYM_END: Final = re.compile(
    r"(?:[оеё]в[оаеуы]?[мй]?|[иы]н[оаеуы]?[мй]?|н(?:ое|ого|ому|ым|ий|ій|е|им|ої|у)|к[аиуеоі]й?"
    r"|к|ск[аиеуо]?[мй]?|цк[аиеуо]?|ськ[аиуео]?|ськ(?:ого|ому|им|ій)|[іїи]вк[аиуеі]|[іїи]вц[іяю]"
    r"|поль|пол[яеюі]|піл[ьяюі]|град[аеу]?|ичи|ичах|ичей|ці|[оеє]в[еоаіу]|[ие]н[еоаіу]|яр[аеуі]?"
    r"|ки|ках|ах|ях|ей|на|ну|ні|кою|ов(?:ого|ому|им)|ев(?:ого|ому|им))$"
)
#: Stricter endings for a name right before "в <admin-1>" ("Копанки в Харьковской области"):
#: not -ов/-ин/-ко, which surnames have ("Гладков в Белгородской области").
SETTLEMENT_END: Final = re.compile(
    r"(?:к[аиуе]|[ое]во|[иы]но|[ое]е|н[ае]|ск|цк|ськ[ае]?|град|поль|піль|ці|ичі|[ое]ве|ине|яр)$"
)
#: A lowercase adjective between a preposition and a name ("приграничного", "сусідньому");
#: only endings no common noun form has (not -ом/-ем: "под руководством России").
ADJECTIVE: Final = re.compile(
    r"^[а-яіїєґ'-]+(?:ого|его|ому|ему|ых|их|ой|ую|юю|ая|яя|ые|ие|ий|ый|ього|ьому|ої|ій|ими|ыми"
    r"|ском|цком|ном)$|^(?:нашу|вашу|свою|нашей|вашей|своей|нашій|вашій|своїй)$"
)
#: Verbal nouns the adjective pattern would take ("на электроснабжение Тернополя").
NOUN_ENDS: Final = ("ние", "ния", "нье", "тие", "ння", "ття")
#: Prepositions of no relation that still place a name ("удар по Харькову", "через
#: Бахмут"), unlike "от Ильи", "с Пейном", "про Шевченка".
PLACING: Final = frozenset({("по",), ("через",), ("за",), ("по", "всему"), ("по", "всей")})
#: Pronouns the adjective pattern would take ("у яких Росія тримає"): never skipped.
NOT_ADJECTIVE: Final = _words(
    "яких якій якої якому якого которых которой котором которого которую каких таких цих",
    "тих этих всех всіх усіх их них ним ином",
)
#: "Near" and capture phrases that, before a capitalised unknown word, introduce a
#: settlement ("в районе Работино", "взяли под контроль Новодмитровку").
SETTLEMENT_INTRO: Final = frozenset(
    tuple(p.split("_"))
    for p in _split(
        """в_районе в_районі у_районі под під біля возле около поблизу вблизи
        неподалеку_от недалеко_от неподалік неподалік_від под_контроль під_контроль
        освободили освободила освободил освобождение освобождения освобождении
        звільнили звільнила звільнив звільнення зачистили заняли захватили взяли
        окраины окраинах околиці околицях"""
    )
)
#: "на Днепре", "через Днепр", "берег Дніпра": the river, not the city of Dnipro.
DNIPRO: Final = _words("днепр днепра днепре днепру днепром дніпро дніпра дніпрі дніпру дніпром")
RIVER_CUE: Final = _words(
    "через за вдоль уздовж берег берега берегу береге березі берегом левобережье",
    "правобережье лівобережжя правобережжя форсировать форсували форсировали форсувати",
    "переправа переправу",
)
#: Singular forms to try after an elliptic list's plural noun, by the noun's first four
#: letters ("областях" -> "области", "області"; "краях" -> "крае", "краї").
SINGULAR: Final[dict[str, tuple[str, ...]]] = {
    "обла": ("области", "області", "областью", "областю", "область"),
    "край": ("крае", "краю", "края", "краї", "край"),
    "кра": ("крае", "краю", "края", "краї", "край"),
    "краи": ("крае", "краю", "края", "краї", "край"),
    "крає": ("краю", "краї", "край"),
    "краї": ("краю", "краї", "край"),
    "краю": ("краю", "крае", "край"),
    "края": ("крае", "краю", "края", "край"),
    "крае": ("крае", "края", "край"),
    "респ": ("республике", "республики", "республіці", "республіки", "республика"),
}
#: Feature words written as abbreviations: only these may be followed by a dot.
FEATURE_ABBR: Final = _words("р ул вул просп пр-т б-р пер пл мкр")
#: Features named by their adjective alone: Moscow's Garden Ring ("от Садового до МКАД").
FEATURE_NAMES: Final[dict[str, str]] = dict.fromkeys(
    _words("садового садовое садовом садовому садовым"), "street"
)
#: Function words, pronouns and the like: GeoNames' Cyrillic alternates turn some into
#: places ("Об" = Aube, "Во" = Vaud, "Саме", "Коли", "Ваші"), but they never start a name.
#: Also supranational bodies, which the labelling rules count as no place (ЕС, НАТО).
STOP: Final = _words(
    "а без бо більш більше в вам вами вас ваш ваша ваше ваші весь вже видно від віт во вот",
    "все всё всех всі вся вы від где да даже для до его ее если есть еще ещё же за и из или",
    "им ими их к как када ко когда коли который кто ли лише лишь между мне мной мы на над",
    "навіть нам нами нас наш наша наше наші не него нее ней нет ни но ну о об один одна",
    "он она они оно от отже по под поки после при про проте с саме сам сами самі свій своя",
    "свої себе со так также тем теперь ти то тоже той только тому ту тут ты у уже усі усе",
    "хто це цей ці ця чем через что чому чи що щодо як яка які який яке які їх її є я",
    "ес єс евросоюз евросоюза евросоюзе евросоюзу евросоюзом євросоюз євросоюзу євросоюзі",
    "євросоюзом нато альянс альянсе альянсу альянсі кремль кремля кремле кремлі центр",
    "центра центре центру центром центрі мені мною мене тобі тебе собі біля досі",
)
#: Channel promotions: "Подписаться на Москву - новостную" names a channel, not a city.
SUBSCRIBE: Final = _words("подписаться подписывайся подпишись підписатися підписуйся")
#: Heads whose genitive takes their place, with the head's case: "на территории Брянской
#: области" and "на востоке Украины" are at, "на территорию Брянской области" is to.
HEADS: Final[dict[str, int]] = {
    **dict.fromkeys(
        _words(
            "территории території территориях територіях центре центрі аэропорту аеропорту",
            "столице столиці акватории акваторії небе небі пределах межах пригороде",
            "передмісті востоке западе севере юге сході заході півночі півдні части частині",
            "территорией територією акваторией акваторією берегу береге березі побережье",
            "побережжі",
        ),
        LOCT,
    ),
    **dict.fromkeys(_words("территорию територію столицу столицю центр"), ACCS),
}
#: Words after a name that make it an adjective or part of another name: "Донецком
#: направлении", "Чорноморського флоту", "Новый год".
NOT_AFTER: Final = re.compile(
    r"(?:направлен|напрям|флот|фронт|плацдарм|угрупован|группировк|год$|года$|году$|годом$"
    r"|рік$|року$|роком$|дом$|доме$|дома$|домом$|дім$|домі$)"
)
#: Big cities that are far more often a first name when no preposition comes before them.
FIRST_NAME_CITIES: Final = _words(
    "владимир владимира владимиру владимиром владимире софия софии софію софія софії"
)
#: Words before a hyphenated route that make it a trip ("рейс Бухара-Москва").
TRIP: Final = _words("рейс рейса рейсом рейсу поезд поезда поездом маршрут маршрута рейсі")
#: Adjectives after an admin-1 adjective that make it the oblast's ("Днепропетровской
#: областной военной администрации"): the oblast adjective alone is the mention.
ADMIN_ADJ: Final = _words(
    "областной областная областного областную областном областным областные областных",
    "обласної обласна обласного обласну обласній обласним обласні обласних краевой краевого",
    "краевая краевую краевом крайової крайова крайовий",
)
#: Nominative/locative adjective endings the ADJECTIVE pattern leaves out ("Черное море").
ADJ_ENDS: Final = ("ое", "ее", "ом", "ем", "ым", "им", "е", "є")
#: Titles before "города X" / "міста X": the name after is the official's, not the town's.
TITLES: Final = _words("глава главы главой мэр мэра мэром голова голови мер мера губернатор")
#: Words after an adjective-shaped name that are places' own nouns: "Раменского городского
#: округа", "Первомайского сельсовета" are still the place (see ``attributive``).
PLACE_NOUN: Final = _words(
    "сельсовет сельсовета сельсовете горсовет горсовета горсовете поселение поселения",
    "поселении громада громади громаді громаду міськрада міськради міськраді сільрада",
    "сільради муниципалитет муниципалитета регион региона регионе региону регіон регіону",
    "регіоні",
)
#: An adjective's ending -> the endings a noun that agrees with it may have (longest first):
#: "Центрального банка", "Українська армія", not "в Раменском произошло" or "в Мирном
#: вчера" (``placefilter.attributive``).
AGREEMENT: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = (
    (("ого", "его"), ("а", "я", "у", "ю", "о")),
    (("ому", "ему"), ("у", "ю", "е", "і")),
    (("ська", "цька", "зька", "ая", "яя"), ("а", "я", "ь")),
    (("ську", "цьку", "зьку", "ую", "юю"), ("у", "ю", "ь")),
    (("ське", "цьке", "зьке", "ое", "ее"), ("о", "е", "ё", "я")),
    (("ської", "цької", "зької"), ("и", "і", "ї")),
    # not a bare -ой / -ом: a noun's instrumental ("под Новомихайловкой позиции",
    # "под Бахмутом")
    (("ской", "цкой", "ной"), ("ы", "и", "е", "ой", "ей")),
    (("ый", "ий"), tuple("бвгджзклмнпрстфхцчшщйь")),
    (("ском", "цком", "ном", "вом", "ім"), ("е", "і", "у", "ї")),
    (("ым", "им"), ("ом", "ем", "ой", "ей", "ою", "ею")),
)
#: Plural and neuter adjective endings read only at a sentence start ("Чорні руїни",
#: "Хороше життя", "Новые правила"): inside a sentence -і/-е are also nouns' locatives
#: ("у Києві люди").
START_AGREEMENT: Final[tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = (
    (("ные", "ие", "ые", "ні", "ші", "жі", "чі", "щі"), ("и", "ы", "і", "ї", "а", "я")),
    (("ше", "не", "ке", "ре", "ле"), ("о", "е", "я")),
)
#: Endings of verbs (and the like) that are no noun after an adjective-shaped name.
VERB_ENDS: Final = (
    "ть", "ться", "ся", "сь", "ло", "ла", "ли", "ет", "ёт", "ит", "ют", "ят", "ут", "ав", "ив",
    "ув", "ать", "ено", "ано",
)  # fmt: skip
#: Plural demonyms that share a form with a village (Українці, Росіяни, Європейці, Россияне):
#: at a sentence start, with no preposition, they are the people.
DEMONYM_ENDS: Final = ("нці", "нцы", "йці", "йцы", "вці", "ане", "яне", "ани", "яни")
#: Lowercase adjectives of a region or of a position between a preposition and a name ("в
#: подмосковном Раменском", "у прифронтовому Оріхові"): the name after them is a place even
#: when it is also an ordinary word or the gazetteer lacks it.
GEO_ADJECTIVE: Final = re.compile(
    r"^(?:подмосковн|приграничн|прифронтов|прикордонн|пригородн|приморск|прикарпатск"
    r"|прибалтийск|приазовск|закарпатск|забайкальск)"
)

#: Endings of an unknown name after "у" that make it a settlement ("у Копанки", "у
#: Марьинки"): stricter than SETTLEMENT_END, whose -на/-не first names share ("у Ивана").
#: Not -ка ("у Сбербанка", "у Т-Банка"): the genitive of a masculine noun.
AT_U_END: Final = re.compile(r"(?:[вн]ки|[ое]во|[иы]но|града|поля|ичей|ичи)$")
#: Prepositions that place a name after a region's adjective ("в подмосковном Колычево").
PLACING_PREP: Final = _words("в во у на под під біля возле около из с з із до к")
#: Ordinary adjectives that never name a feature ("Общая площадь ...", "Целый остров").
GENERIC_ADJ: Final = _words(
    "общая общей общую общий общем общего общие целый целая целое целого целом целую",
    "главная главной главную главный главном главного эта этой эту этот этом новая новую",
    "новой новый новом большая большой большую малая малой каждая каждый соседняя",
    "соседней соседнюю соседний соседнем ближайшая ближайшей ближайший единственная",
    "единственный вся весь всю нова нову новий нової велика великий велику",
)
