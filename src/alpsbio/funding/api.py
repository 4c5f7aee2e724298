"""HTTP API of the funding app (mounted at /api/v1/funding/)."""

from ninja import Router

router = Router(tags=["funding"])
