"""User content in several languages, stored as one JSON mapping per field.

Like pretix's ``LazyI18nString``: ``{"en": "...", "fr": "..."}`` in one column. We accept that
such columns cannot be indexed per language; search runs over a denormalised text column instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils import translation

LANGUAGE_CODES: tuple[str, ...] = ("en", "fr", "it", "de")
FALLBACK_ORDER: tuple[str, ...] = ("en", "fr", "de", "it")


def reader_language(lang: str | None = None) -> str:
    """``lang``, else the active language, else the site's, as a two-letter code."""
    return (lang or translation.get_language() or settings.LANGUAGE_CODE)[:2]


def localized(value: Mapping[str, str] | str | None, lang: str | None = None) -> str:
    """The text in ``lang`` (default: the active language), falling back to English, then any."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    lang = reader_language(lang)
    text = value.get(lang)
    if text:
        return text
    for code in FALLBACK_ORDER:
        if value.get(code):
            return value[code]
    return next((v for v in value.values() if v), "")


def localized_language(value: Mapping[str, str] | None, lang: str | None = None) -> str | None:
    """Which language ``localized`` would show, so pages can mark fallback text with ``lang=``."""
    if not value:
        return None
    lang = reader_language(lang)
    if value.get(lang):
        return lang
    for code in FALLBACK_ORDER:
        if value.get(code):
            return code
    return next((k for k, v in value.items() if v), None)


def clean_translations(value: Any, field: str = "value") -> dict[str, str]:
    """Validate a ``{lang: text}`` mapping: known languages only, strings, blanks dropped."""
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{field}: expected an object mapping language codes to text")
    cleaned: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGUAGE_CODES:
            raise ValueError(
                f"{field}: unknown language {lang!r} (use {', '.join(LANGUAGE_CODES)})"
            )
        if text is None:
            continue
        if not isinstance(text, str):
            raise ValueError(f"{field}.{lang}: expected text")
        if text.strip():
            cleaned[lang] = text.strip()
    return cleaned


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Render e-mails and exports in the recipient's language."""
    with translation.override(lang if lang in LANGUAGE_CODES else settings.LANGUAGE_CODE):
        yield
