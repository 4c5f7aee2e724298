"""Form helpers shared by the apps' views."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError


def attach_service_errors(
    form: Any,
    exc: ValidationError,
    field_map: Mapping[str, str] | None = None,
    name_unknown_fields: bool = False,
) -> None:
    """Put a service's field-level errors on the form's fields; errors of fields the form does
    not have go to the top (prefixed with the field's name if ``name_unknown_fields``).
    ``field_map`` renames service fields to form fields."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        for msg in exc.messages:
            form.add_error(None, msg)
        return
    for field, errs in exc.message_dict.items():
        name = field_map.get(field, field)
        target = name if name in form.fields else None
        for msg in errs:
            named = name_unknown_fields and target is None and field != "__all__"
            form.add_error(target, f"{field}: {msg}" if named else msg)
