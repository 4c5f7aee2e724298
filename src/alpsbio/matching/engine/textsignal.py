"""Text clean-up for the cross-lingual text signal: request formulas off a query.

A need usually opens with a formula ("Wir suchen ...", "Nous cherchons ...", "We are looking
for ..."). Profiles are written as statements, without it, so the formula only adds words that
every need shares, in the need's own language: they pull a German need towards other German
texts. Stripping the opening formula (one list per language, applied to queries only) measured
+0.04 paraphrase@1 on the tuning half of the test set (docs/benchmarks/matching.md, section 2).
"""

from __future__ import annotations

import re

REQUEST_FORMULAS: dict[str, tuple[str, ...]] = {
    "en": ("we are looking for", "we are seeking", "we seek", "we need", "we want",
           "we would like", "looking for"),
    "fr": ("nous cherchons", "nous recherchons", "nous voulons", "nous souhaitons",
           "nous avons besoin d'", "nous avons besoin de", "on cherche"),
    "de": ("wir suchen", "wir brauchen", "wir möchten", "wir wollen", "gesucht:", "gesucht wird"),
    "it": ("cerchiamo", "vorremmo", "vogliamo", "abbiamo bisogno di", "si cerca", "cercasi"),
}  # fmt: skip
_FORMULA = re.compile(
    r"^\s*(?:"
    + "|".join(
        re.escape(f).replace(r"\ ", r"\s+").replace("'", "['’]")
        for fs in REQUEST_FORMULAS.values()
        for f in sorted(fs, key=len, reverse=True)
    )
    + r")(?:\s+|(?<=['’:]))",
    re.IGNORECASE,
)


def strip_request_formula(text: str) -> str:
    """``text`` without its opening request formula; unchanged if none, or if nothing would
    remain."""
    rest = _FORMULA.sub("", text, count=1)
    return rest if rest.strip() else text
