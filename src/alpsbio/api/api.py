"""The HTTP API, version 1: one router per app, mounted here."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="alpsbio API",
    version="1.0.0",
    urls_namespace="api-v1",
    docs_url="/docs",
    description="Directory, matchmaking, events, territorial analysis and funding of the Alps Bio Cluster.",
)
