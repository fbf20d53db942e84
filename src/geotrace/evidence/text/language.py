"""Russian, Ukrainian or other: the language of one post, short posts included.

Our own detector rather than lingua (Apache-2.0): lingua's ru/uk detector reads 241
texts/s here and its all-language model is 96 MB in memory, while the text stage must read
>= 1,600 texts/s per core (``../shared/research/text.md``).  Russian and Ukrainian are
told apart by letters only one of them writes (uk і ї є ґ and an apostrophe inside a word;
ru ы э ъ ё) and by function words only one of them uses (uk що, та, від, це, як, з; ru
что, это, как, и, из, с), all found by pre-compiled regular expressions, so that a post
costs a few C-level scans.  Measured on the 24,437 posts of
``../shared/corpora/text/posts.jsonl`` (``bench/text_rules.py``): agreement with a
lingua ru/uk/be/en/kk detector 0.985, all 2,489 Ukrainian addresses read "uk"; on the
posts where the two disagree this detector was the right one in most cases read (short
English or code posts that lingua calls Russian from one Cyrillic word, Russian posts
quoting Ukrainian place names).

Another Cyrillic alphabet (Belarusian ў, Kazakh ә ғ қ ң ө ұ ү һ, Serbian/Macedonian
ј љ њ ђ ћ џ ѓ ќ ѕ) or too few Cyrillic letters make the post "other": the stage reads
Russian and Ukrainian words only, and a wrong "ru" would feed them to the wrong gazetteer
forms.
"""

from __future__ import annotations

import re

from geotrace.evidence.text.mention import Language

#: Links, mentions and e-mail addresses carry Latin letters that say nothing of the
#: language a post is written in ("https://naked-science.ru/article/...").
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|@\w+|#\w+")
#: Letters of the two alphabets; a post is judged on its first _HEAD characters.
_CYRILLIC = re.compile(r"[а-яёіїєґ]")
_LATIN = re.compile(r"[a-z]")
#: Letters of other Cyrillic alphabets that neither Russian nor Ukrainian writes.
_OTHER_CYRILLIC = re.compile(r"[ўәғқңөұүһјљњђћџѓќѕ]")
#: Belarusian words that have no ў yet are not Russian or Ukrainian ("што", "гэта", "яго").
_BE_WORDS = re.compile(r"(?<![\w'’ʼ])(?:што|гэта|яго|таксама|калі|вельмі|толькі|дзе|іх)(?!\w)")
#: A judgement on 1,500 characters is as good as one on the whole post (the longest posts
#: are 5,800 characters) and bounds the cost of one post.
_HEAD = 1500
#: Below this share of Cyrillic among letters the post is not Russian or Ukrainian prose (an
#: English post quoting one Russian name); 0.5 kept the bench's agreement with lingua highest.
_MIN_CYRILLIC_SHARE = 0.5
#: Fewer Cyrillic letters than this is no language at all ("ок", "ДНР").
_MIN_CYRILLIC = 2

_UK_LETTERS = re.compile(r"[іїєґ]|(?<=[а-яіїєґ])['’ʼ](?=[яюєї])")
_RU_LETTERS = re.compile(r"[ыэъё]")
# Function words only one of the languages uses, spelled with letters both write (the
# letters above already count the others).  "та" is Russian too ("та сторона") and "и"
# Ukrainian only inside words, hence the weights below.
_UK_WORDS = re.compile(
    r"(?<![\w'’ʼ-])(?:що|та|це|як|або|він|вона|вони|його|також|щоб|з|із|зі|але|ми|ви|чи|"
    r"коли|дуже|ще|вже|де|цей|ця|цього|може|має|буде|було|були|був|була|року|тобто|"
    r"треба|зараз|можна|лише|якщо|які|яка|який|яке|кожен|щодо|мене|теж|ось)(?![\w'’ʼ-])"
)
_RU_WORDS = re.compile(
    r"(?<![\w'’ʼ-])(?:и|что|это|как|он|она|они|его|ее|также|чтобы|из|с|со|от|но|когда|"
    r"очень|еще|уже|где|или|был|была|было|были|будет|года|сегодня|который|которые|"
    r"которая|которое|после|если|только|чем|себя|мне|тоже|сейчас|здесь|можно|нужно|"
    r"ли|вот|меня|может|надо)(?![\w'’ʼ-])"
)
#: Word endings typical of one language; weaker than a letter or a function word.
#: ru adjectives -ая/-ое/-ие and nouns -ия/-ие (uk -а/-е/-і/-ія); uk verbal nouns -ння.
_RU_ENDINGS = re.compile(r"(?:ая|ое|ие|ия|ого|ому)(?![\w'’ʼ-])")
_UK_ENDINGS = re.compile(r"(?:ння|ися|ому)(?![\w'’ʼ-])")

# Weights: a letter of one alphabet is the strongest cue, a function word next, an ending
# weakest.  "ому" is in both ending lists on purpose: it cancels out.
_LETTER = 2.0
_WORD = 1.5
_ENDING = 0.5


def language(text: str) -> Language:
    """The language of ``text``: "ru", "uk", or "other" for anything else, short texts too.

    A Cyrillic post with no cue for either language (a name, "Привет") reads "ru": Russian
    is the language such cue-less Cyrillic text is usually in (22 of 24 thousand posts here).
    """
    low = _NOISE.sub(" ", text[:_HEAD].lower())
    cyrillic = len(_CYRILLIC.findall(low))
    if cyrillic < _MIN_CYRILLIC:
        return "other"
    latin = len(_LATIN.findall(low))
    if cyrillic < _MIN_CYRILLIC_SHARE * (cyrillic + latin):
        return "other"
    other = len(_OTHER_CYRILLIC.findall(low)) + len(_BE_WORDS.findall(low))
    uk = (
        _LETTER * len(_UK_LETTERS.findall(low))
        + _WORD * len(_UK_WORDS.findall(low))
        + _ENDING * len(_UK_ENDINGS.findall(low))
    )
    ru = (
        _LETTER * len(_RU_LETTERS.findall(low))
        + _WORD * len(_RU_WORDS.findall(low))
        + _ENDING * len(_RU_ENDINGS.findall(low))
    )
    if other and _LETTER * other >= 0.5 * max(uk, ru):
        return "other"
    return "uk" if uk > ru else "ru"
