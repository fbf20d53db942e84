"""Russian, Ukrainian or other: the language of one post, short posts included.

Our own detector rather than lingua (Apache-2.0, 96 MB installed).  Measured on the 24,437
posts of ``../shared/corpora/text/posts.jsonl`` by ``bench/text_rules.py``: this detector
reads ~26,000 texts/s (CPU, one core), a lingua detector restricted to ru/uk/be/en/kk
~3,500; the two agree on 0.996 of the posts once links and code are stripped (0.974 on
the raw texts: lingua calls 553 Russian headlines with a Latin URL "other").  Of the 88
posts where they still differ, read one by one, lingua is wrong on 87: it calls 79 short
Ukrainian sentences of the presidential addresses Kazakh ("Ірина Верещук розповідає про
..."), and "Жиза, не правда ли?" or "Биткоин упал до $95000" Ukrainian or Kazakh; the
last one, a Russian digest made mostly of English tool names, we call "other" (lingua's
"ru" is the better answer there).
Ours reads 2,433 of the 2,489 addresses "uk"; the other 56 are in Russian (35) or English.

Russian and Ukrainian are told apart by letters only one of them writes (uk і ї є ґ and an
apostrophe inside a word; ru ы э ъ ё), by function words only one of them uses (uk що,
та, це, як, з; ru что, это, как, и, из, с) and, weakly, by word endings, all found by
pre-compiled regular expressions and set look-ups, so that a post costs a few C-level
scans.  Another Cyrillic alphabet (Belarusian ў, Kazakh ә ғ қ ң ө ұ ү һ, Serbian and
Macedonian ј љ њ ђ ћ џ ѓ ќ ѕ) or too few Cyrillic letters make the post "other": the
stage reads Russian and Ukrainian words only, and a wrong "ru" would feed them to the
wrong gazetteer forms.
"""

from __future__ import annotations

import re

from geotrace.evidence.text.mention import Language

#: Links, @mentions, #tags and code carry Latin letters that say nothing of the language a
#: post is written in ("https://naked-science.ru/article/...", "`go install ...`").
_NOISE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+|```[\s\S]*?(?:```|$)|`[^`\n]*`")
#: Cyrillic words (an apostrophe inside a Ukrainian word kept) and runs of Latin letters.
_WORD = re.compile(r"[а-яёіїєґ]+(?:['’ʼ][а-яёіїєґ]+)*")
_LATIN = re.compile(r"[a-z]+")
#: Letters of other Cyrillic alphabets that neither Russian nor Ukrainian writes: Belarusian
#: ў, Kazakh ә ғ қ ң ө ұ ү һ, Serbian and Macedonian ј љ њ ђ ћ џ ѓ ќ ѕ.
_OTHER_LETTERS = "ўәғқңөұүһјљњђћџѓќѕ"
_OTHER_CYRILLIC = re.compile("[" + _OTHER_LETTERS + "]")
#: Belarusian words that have no ў yet are neither Russian nor Ukrainian.
_BE_WORDS = frozenset({"што", "гэта", "яго", "таксама", "калі", "вельмі", "толькі", "дзе", "іх"})
#: A judgement on 1,500 characters is as good as one on the whole post (the longest posts
#: are 5,800 characters) and bounds the cost of one post.
_HEAD = 1500
#: Below this share of Cyrillic among letters the post is not Russian or Ukrainian prose (an
#: English post quoting one Russian name): links stripped, every post under it in the shared
#: corpus was English or code (``bench/text_rules.py``).
_MIN_CYRILLIC_SHARE = 0.5
#: Letters of another Cyrillic alphabet (a Belarusian word counting two) above this share
#: of the Cyrillic letters make the post "other"; a Russian post naming "Қазақстан" once in
#: 150 letters stays Russian.
_OTHER_SHARE = 0.02
#: Fewer Cyrillic letters than this is no language at all ("ок").
_MIN_CYRILLIC = 2

#: Letters only one of the languages writes; an apostrophe inside a word is Ukrainian.
_UK_LETTERS = "іїєґ"
_RU_LETTERS = "ыэъё"
#: Function words only one of the languages uses, spelled with letters both write (the
#: letters above already count the others).  "та" is also Russian ("та сторона"), a rare use.
_UK_WORDS = frozenset(
    "що та це як або він вона вони його також щоб з із зі але ми ви чи коли дуже ще вже де "  # noqa: SIM905 (a word list reads better as text)
    "цей ця цього може має буде було були був була року тобто треба зараз можна лише якщо "
    "які яка який яке кожен щодо мене теж ось дякую ласка добре тепер хай нехай звісно "
    "бувай нема немає".split()
)
_RU_WORDS = frozenset(
    "и что это как он она они его ее также чтобы из с со от но когда очень еще уже где или "  # noqa: SIM905 (a word list reads better as text)
    "был была было были будет года сегодня который которые которая которое после если "
    "только чем себя мне тоже сейчас здесь можно нужно ли вот меня может надо".split()
)
#: Word endings typical of one language, weaker than a letter or a function word: ru
#: adjectives -ая/-ое/-ие and nouns -ия (uk -а/-е/-і/-ія); uk verbal nouns -ння, -ися.
_RU_ENDINGS = ("ая", "ое", "ие", "ия")
_UK_ENDINGS = ("ння", "ися")

# Weights: a letter of one alphabet is the strongest cue, a function word next, an ending
# weakest; tuned on the shared corpus against lingua (``bench/text_rules.py``).
_LETTER = 2.0
_WORD_WEIGHT = 1.5
_ENDING = 0.5


def language(text: str) -> Language:
    """The language of ``text``: "ru", "uk", or "other" for anything else, short texts too.

    A Cyrillic post with no cue for either language (a name, "Привет") reads "ru": Russian
    is the language such cue-less Cyrillic text is usually in (22 of 24 thousand posts here).
    """
    low = text[:_HEAD].lower()
    if "http" in low or "www." in low or "@" in low or "#" in low or "`" in low:
        low = _NOISE.sub(" ", low)
    words = _WORD.findall(low)
    cyrillic = sum(map(len, words))
    if cyrillic < _MIN_CYRILLIC:
        return "other"
    latin = sum(map(len, _LATIN.findall(low)))
    if cyrillic < _MIN_CYRILLIC_SHARE * (cyrillic + latin):
        return "other"
    # A Cyrillic word that is not all letters holds an apostrophe: "об'єкт", "м'ясо".
    apostrophes = sum(1 for word in words if not word.isalpha())
    uk = _LETTER * (sum(map(low.count, _UK_LETTERS)) + apostrophes)
    ru = _LETTER * sum(map(low.count, _RU_LETTERS))
    uk += _WORD_WEIGHT * sum(map(_UK_WORDS.__contains__, words))
    ru += _WORD_WEIGHT * sum(map(_RU_WORDS.__contains__, words))
    uk += _ENDING * sum(1 for word in words if word.endswith(_UK_ENDINGS))
    ru += _ENDING * sum(1 for word in words if word.endswith(_RU_ENDINGS))
    # Kazakh and Belarusian write і too, so their own letters and words are weighed against
    # the length of the post, not against the Ukrainian score they inflate.
    other = len(_OTHER_CYRILLIC.findall(low)) + 2 * sum(map(_BE_WORDS.__contains__, words))
    if other and other >= _OTHER_SHARE * cyrillic:
        return "other"
    return "uk" if uk > ru else "ru"
