"""HTTP API of the survey app (mounted at /api/v1/survey/)."""

from ninja import Router

router = Router(tags=["survey"])
