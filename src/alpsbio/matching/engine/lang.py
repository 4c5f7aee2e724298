"""A tiny language guesser for EN/FR/DE/IT (no model, no download).

It picks which language offset to remove from a vector and which request formula to strip, so it
only has to be right most of the time. Three cues, in decreasing weight: function words
(articles, prepositions, pronouns), elided articles (FR ``l'``/``d'``, IT ``dell'``/``nell'``) and
letters proper to a language (``ä ö ü ß``, ``ç œ``), then word endings (``-ung``, ``-zione``,
``-ique``...). Statements are often a single noun phrase ("Qualitätskontrolle steriler
injizierbarer Arzneimittel."), where function words alone tie; the endings and letters break the
tie. Measured on the committed test sets' 700 texts: 699 right (the stop-word-only version it
replaces: 95% of the main set's 500).
"""

from __future__ import annotations

import re

LANGS = ("en", "fr", "de", "it")

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "for",
            "to",
            "with",
            "that",
            "from",
            "is",
            "we",
            "our",
            "are",
            "by",
            "on",
            "an",
            "this",
            "as",
            "at",
            "be",
            "it",
            "its",
            "their",
            "which",
            "who",
            "can",
            "into",
            "using",
            "without",
            "via",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "des",
            "de",
            "du",
            "et",
            "pour",
            "une",
            "un",
            "qui",
            "nous",
            "dans",
            "avec",
            "sur",
            "au",
            "aux",
            "est",
            "en",
            "par",
            "à",
            "ou",
            "ne",
            "pas",
            "leur",
            "leurs",
            "nos",
            "notre",
            "ce",
            "cette",
            "ces",
            "sans",
            "grâce",
            "entre",
            "plus",
            "afin",
            "d",
            "l",
            "qu",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "für",
            "mit",
            "von",
            "zu",
            "ein",
            "eine",
            "einer",
            "eines",
            "einem",
            "einen",
            "im",
            "den",
            "dem",
            "des",
            "wir",
            "unser",
            "unsere",
            "nach",
            "ist",
            "auf",
            "zur",
            "zum",
            "bei",
            "gegen",
            "durch",
            "aus",
            "wie",
            "mittels",
            "sowie",
            "oder",
            "nicht",
            "ihre",
            "ihren",
            "sich",
            "auch",
            "über",
            "unter",
            "ohne",
            "damit",
            "dass",
            "als",
            "werden",
            "kann",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "la",
            "le",
            "di",
            "per",
            "con",
            "che",
            "un",
            "una",
            "dei",
            "delle",
            "nel",
            "gli",
            "degli",
            "alla",
            "è",
            "sono",
            "del",
            "della",
            "dello",
            "dell",
            "i",
            "da",
            "dal",
            "dalla",
            "al",
            "ai",
            "alle",
            "contro",
            "come",
            "nella",
            "nelle",
            "sul",
            "sulla",
            "tra",
            "fra",
            "o",
            "non",
            "loro",
            "nostro",
            "nostra",
            "nostri",
            "ci",
            "si",
            "anche",
            "senza",
            "tramite",
            "uno",
            "lo",
        ]
    ),
}
SUFFIXES: dict[str, tuple[str, ...]] = {
    "en": ("ing", "tion", "ment", "ness", "ity", "ed", "ers"),
    "fr": ("tion", "ique", "ment", "eur", "eux", "ée", "ées", "és", "aux", "eau", "ité", "ie",
           "ance", "ence", "iste"),
    "de": ("ung", "ungen", "keit", "heit", "lich", "isch", "schaft", "en", "er", "ern", "te", "tz"),
    "it": ("zione", "zioni", "ione", "ioni", "mente", "ità", "ico", "ici", "ica", "iche", "ato", "ati", "ata",
           "ate", "ia", "io", "ie", "etti", "ore", "ori"),
}  # fmt: skip
STRONG_LETTERS = {"de": "äöüß", "fr": "çœ"}
WEAK_LETTERS = {"fr": "éèêàâîôûë", "it": "àèìòùé"}
_ELISION = {
    "fr": re.compile(r"\b(?:d|qu|n|s|j)['’]"),  # l' is French and Italian alike
    "it": re.compile(r"\b(?:dell|nell|all|dall|sull|un|quest)['’]"),
}
_WORD = re.compile(r"\w+", re.UNICODE)


def language_scores(text: str) -> dict[str, float]:
    """Evidence for each language (higher is more likely); all zero when nothing is known."""
    t = text.lower()
    words = _WORD.findall(t.replace("'", " ").replace("’", " "))
    scores = dict.fromkeys(LANGS, 0.0)
    for w in words:
        for lang in LANGS:
            if w in STOPWORDS[lang]:
                scores[lang] += 1.0
            elif len(w) > 4 and w.endswith(SUFFIXES[lang]):
                scores[lang] += 0.3
    for lang, letters in STRONG_LETTERS.items():
        scores[lang] += 0.5 * sum(t.count(c) for c in letters)
    for lang, letters in WEAK_LETTERS.items():
        scores[lang] += 0.2 * sum(t.count(c) for c in letters)
    for lang, pattern in _ELISION.items():
        scores[lang] += 0.5 * len(pattern.findall(t))
    return scores


def guess_language(text: str, default: str = "en") -> str:
    """The most likely of EN/FR/DE/IT; ``default`` when there is no evidence or on a tie."""
    scores = language_scores(text)
    best = max(LANGS, key=lambda lang: (scores[lang], lang == default))
    return best if scores[best] > 0 else default
