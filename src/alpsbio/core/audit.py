from __future__ import annotations

import logging
from typing import Any

from django.db import models

from alpsbio.core.models import AuditEntry

logger = logging.getLogger("alpsbio.audit")


def record(
    action: str,
    obj: models.Model,
    actor: Any = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry; call inside the service's transaction so both commit together."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    entry = AuditEntry.objects.create(
        actor=user,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300],
        data=data or {},
    )
    logger.info("%s %s#%s by %s: %s", action, obj._meta.label_lower, obj.pk, user, summary)
    return entry
