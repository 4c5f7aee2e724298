"""The public "Alpine brand" portal: who is here, what each region is strong in, what is coming."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from alpsbio.directory import queries
from alpsbio.directory.models import Network, Organisation, Project


def _upcoming_events() -> list[Any]:
    try:
        from alpsbio.events import queries as event_queries
    except ImportError:
        return []
    upcoming = getattr(event_queries, "upcoming_events", None)
    return list(upcoming(limit=4)) if upcoming else []


def home(request: HttpRequest) -> HttpResponse:
    regions = list(queries.member_regions())
    region_cards = []
    for region in regions:
        orgs = queries.organisations_in_region(region)
        region_cards.append(
            {
                "region": region,
                "organisations": orgs.count(),
                "top_types": list(
                    orgs.values("org_type").annotate(n=Count("pk")).order_by("-n")[:3]
                ),
            }
        )
    context = {
        "stats": {
            "organisations": Organisation.objects.filter(is_active=True).count(),
            "regions": len(regions),
            "projects": Project.objects.count(),
            "networks": Network.objects.count(),
        },
        "region_cards": region_cards,
        "networks": Network.objects.all(),
        "events": _upcoming_events(),
    }
    return render(request, "portal/home.html", context)


def favicon(request: HttpRequest) -> HttpResponse:
    """For clients that ask for /favicon.ico without reading the page's icon link. Resolved per
    request: the hashed static name exists only once ``collectstatic`` has run."""
    return HttpResponsePermanentRedirect(static("alpsbio/favicon.svg"))
