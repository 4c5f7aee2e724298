"""The member dashboard's panel: open surveys and their response rates, for cluster managers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from alpsbio.survey import permissions
from alpsbio.survey.models import Survey


def surveys_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not permissions.can_manage_surveys(request.user):
        return None
    from alpsbio.survey import queries  # pandas: loaded only when a manager opens the page

    surveys = list(Survey.objects.filter(status=Survey.Status.OPEN).order_by("-created_at")[:5])
    return {
        "title": _("Territorial survey"),
        "template": "survey/_dashboard_panel.html",
        "rows": [(s, queries.response_rates(s)["total"]) for s in surveys],
    }
