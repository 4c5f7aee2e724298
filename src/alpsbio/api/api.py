"""The HTTP API, version 1: one router per app, mounted here (django-ninja)."""

from __future__ import annotations

from ninja import NinjaAPI

from alpsbio.accounts.api import router as accounts_router
from alpsbio.api.errors import install_error_handlers
from alpsbio.directory.api import router as directory_router
from alpsbio.events.api import router as events_router
from alpsbio.funding.api import router as funding_router
from alpsbio.matching.api import router as matching_router
from alpsbio.survey.api import router as survey_router

api = NinjaAPI(
    title="alpsbio API",
    version="1.0.0",
    urls_namespace="api-v1",
    docs_url="/docs",
    description=(
        "Directory, matchmaking, events and B2B meetings, territorial analysis and project funding "
        "of the Alps Bio Cluster. Reads of public data need no authentication; writes need a "
        "personal token (`Authorization: Bearer <token>`), created under Account → API tokens."
    ),
)
install_error_handlers(api)
api.add_router("/", directory_router)
api.add_router("/", accounts_router)
api.add_router("/matching/", matching_router)
api.add_router("/events/", events_router)
api.add_router("/analysis/", survey_router)
api.add_router("/funding/", funding_router)
