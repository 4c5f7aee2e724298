"""HTTP API of the directory app (mounted at /api/v1/directory/)."""

from ninja import Router

router = Router(tags=["directory"])
