from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from alpsbio.core.i18n import localized as _localized

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ dict|get_item:key }}``: look a key up in a mapping (None when absent)."""
    if isinstance(mapping, Mapping):
        return mapping.get(key)
    return None


@register.filter
def localized(value: Any) -> str:
    """Per-language JSON content in the reader's language, with fallback."""
    return _localized(value)
