"""Pure text normalisation for matching and search (no Django)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Legal forms and generic institution words in the cluster's languages. Removing them lets
# "UNIVERSITA DEGLI STUDI DI MILANO" meet "Università degli Studi di Milano" and "BIOMERIEUX SA"
# meet "bioMérieux"; what remains is the distinctive part of the name.
LEGAL_FORMS = frozenset(
    [
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sca",
        "snc",
        "scs",
        "sci",
        "gie",
        "scop",
        "scrl",
        "ste",
        "societe",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "ev",
        "mbh",
        "kgaa",
        "se",
        "eg",
        "gbr",
        "spa",
        "srl",
        "srls",
        "snc",
        "sas",
        "sapa",
        "scarl",
        "scpa",
        "scrl",
        "onlus",
        "ltd",
        "limited",
        "llc",
        "inc",
        "corp",
        "co",
        "plc",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "aps",
    ]
)
GENERIC_WORDS = frozenset(
    [
        "universite",
        "universita",
        "universitat",
        "universitaet",
        "university",
        "univ",
        "the",
        "of",
        "and",
        "et",
        "und",
        "e",
        "ed",
        "de",
        "des",
        "du",
        "la",
        "le",
        "les",
        "l",
        "d",
        "di",
        "del",
        "della",
        "delle",
        "degli",
        "dei",
        "da",
        "dal",
        "der",
        "die",
        "das",
        "fur",
        "fuer",
        "von",
        "vom",
        "zu",
        "zur",
        "zum",
        "im",
        "in",
        "en",
        "al",
    ]
)
# Multi-token legal forms, written as they appear once punctuation is gone ("s.p.a." -> "s p a").
MULTI_TOKEN_FORMS = (
    ("s", "p", "a"),
    ("s", "r", "l"),
    ("s", "a", "s"),
    ("s", "a", "r", "l"),
    ("e", "v"),
    ("s", "a"),
    ("s", "c", "a", "r", "l"),
    ("g", "m", "b", "h"),
    ("a", "g"),
)
# ROR disambiguates company subsidiaries with the country in brackets: "Roche (Switzerland)".
_COUNTRY_SUFFIX = re.compile(
    r"\((germany|deutschland|france|italy|italia|switzerland|schweiz|suisse|svizzera|austria|"
    r"osterreich|oesterreich|united kingdom|uk|usa|united states)\)"
)
_PUNCT = re.compile(r"[^0-9a-z]+")
# German umlauts follow the German ASCII convention (CORDIS writes "MUENCHEN" for München).
_TRANSLIT = str.maketrans(
    {"ß": "ss", "ä": "ae", "ö": "oe", "ü": "ue", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l"}
)


@lru_cache(maxsize=200_000)
def unaccent(text: str) -> str:
    """Lowercase ASCII-ish form: accents stripped, ß → ss; 'Müller' → 'mueller'."""
    text = text.lower().translate(_TRANSLIT)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Unaccented lowercase word tokens, punctuation removed."""
    return [t for t in _PUNCT.split(unaccent(text)) if t]


def _drop_multi(toks: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(toks):
        for form in MULTI_TOKEN_FORMS:
            n = len(form)
            # Only at the end of a name: "s a" inside a name may be real words.
            if tuple(toks[i : i + n]) == form and i + n == len(toks) and i > 0:
                i += n
                break
        else:
            out.append(toks[i])
            i += 1
    return out


@lru_cache(maxsize=200_000)
def normalise_name(name: str) -> str:
    """The distinctive part of an organisation name, for matching.

    >>> normalise_name("Université Grenoble Alpes")
    'grenoble alpes'
    >>> normalise_name("BIOMERIEUX S.A.")
    'biomerieux'
    """
    toks = _drop_multi(tokens(_COUNTRY_SUFFIX.sub(" ", unaccent(name))))
    kept = [t for t in toks if t not in LEGAL_FORMS and t not in GENERIC_WORDS]
    # A name made only of generic words ("Universität") keeps them rather than vanish.
    return " ".join(kept) if kept else " ".join(toks)


def normalise_city(city: str) -> str:
    toks = tokens(city)
    # CORDIS writes cedex and arrondissements into city names ("LYON CEDEX 07").
    toks = [t for t in toks if t != "cedex" and not t.isdigit()]
    return " ".join(toks)


def normalise_acronym(acronym: str) -> str:
    return "".join(tokens(acronym))
