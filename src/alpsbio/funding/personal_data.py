"""The funding app's part of a person's data: their roles in funded projects (removed when the
account is erased; the project's figures and versions stay, as the EU reporting requires)."""

from __future__ import annotations

from typing import Any

from alpsbio.funding.models import ProjectRole


def export_funding(user: Any) -> dict[str, Any]:
    return {
        "project_roles": [
            {
                "project": r.project.acronym,
                "role": r.role,
                "partner": str(r.partner) if r.partner else None,
            }
            for r in ProjectRole.objects.filter(user=user).select_related("project", "partner")
        ]
    }


def erase_funding(user: Any) -> None:
    ProjectRole.objects.filter(user=user).delete()
