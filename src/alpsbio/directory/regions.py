"""NUTS region look-ups: current codes, and older codes through Eurostat's correspondences."""

from __future__ import annotations

from alpsbio.directory.models import Region, RegionCodeAlias


def resolve_region_code(code: str) -> Region | None:
    """The NUTS 2021 region for ``code``, which may be a 2010/2013/2016 code (FR71 → FRK2).

    Where an old code split into several regions there is no single answer: None.
    """
    code = code.strip().upper()
    region = Region.objects.filter(code=code).first()
    if region is not None:
        return region
    targets = list(
        RegionCodeAlias.objects.filter(code=code)
        .order_by("-version")
        .values_list("version", "region_id")
    )
    if not targets:
        return None
    newest = targets[0][0]
    ids = {rid for version, rid in targets if version == newest}
    if len(ids) != 1:
        return None
    return Region.objects.get(pk=ids.pop())
