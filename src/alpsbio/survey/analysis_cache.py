"""The territorial analysis computed once per data version and stored in the database.

Pages, the API and the PDF report call :func:`get_analysis`, which serves the last stored
result (``AnalysisSnapshot``, one row per set of member regions) when it was computed from the
current data version (:func:`data_version`). When the data changed since, it still serves the
stored result with the note ``being_recomputed`` and enqueues one background recomputation
(``analysis_tasks.refresh_analysis``, django-tasks); if that has not delivered within
``RECOMPUTE_TIMEOUT`` (no worker running), or when nothing is stored yet, it computes on demand
once and stores the result. Rows survive restarts and are shared by all web and worker
processes; each process keeps the last unpickled result per row in memory.

Recomputation is also enqueued right after an indicator import (the survey demo runs one after
the directory demo) and by ``alpsbio analysis refresh``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import logging
import pickle
import threading
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone, translation

from alpsbio.directory.models import Organisation, Participation, Region
from alpsbio.survey import indicators as ind
from alpsbio.survey.models import IndicatorImport, IndicatorValue, Response
from alpsbio.survey.models_analysis import AnalysisSnapshot

logger = logging.getLogger("alpsbio.survey")

# Bump when the stored ``queries.Analysis`` changes shape (or the analysis changes results):
# stored rows of another format are recomputed.
FORMAT = 3
# A stale result whose background recomputation has not arrived after this long is recomputed
# on demand by the next request (the task worker may not be running).
RECOMPUTE_TIMEOUT = dt.timedelta(minutes=10)
BEING_RECOMPUTED = "being_recomputed"

_lock = threading.Lock()
# key -> (row id, computed_at, Analysis): the last result unpickled by this process.
_memo: dict[str, tuple[int, dt.datetime, Any]] = {}


def data_version() -> str:
    """A fingerprint of every input of the analysis; changes whenever one of them changes.

    Counts and the latest id or modification time of: organisations, their sectors and NACE
    codes, EU project participations, indicator values and imports, submitted survey
    responses; the member regions; and ``FORMAT``.
    """
    try:
        parts: list[Any] = [
            FORMAT,
            Organisation.objects.aggregate(n=Count("id"), m=Max("updated_at")),
            Organisation.sectors.through.objects.aggregate(n=Count("id"), m=Max("id")),
            Organisation.nace_codes.through.objects.aggregate(n=Count("id"), m=Max("id")),
            Participation.objects.aggregate(n=Count("id"), m=Max("id")),
            IndicatorValue.objects.aggregate(n=Count("id"), m=Max("id")),
            IndicatorImport.objects.filter(succeeded=True).aggregate(m=Max("id")),
            Response.objects.filter(status=Response.Status.SUBMITTED).aggregate(
                n=Count("id"), m=Max("updated_at")
            ),
            list(
                Region.objects.filter(is_member=True)
                .order_by("code")
                .values_list("code", flat=True)
            ),
        ]
    except DatabaseError:
        return "unavailable"
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def snapshot_key(members: Sequence[str]) -> str:
    """One stored result per set of member regions (the order is only a display order)."""
    return ",".join(sorted({m.upper() for m in members}))


def _resolve(members: Sequence[str] | None) -> list[str]:
    return [m.upper() for m in members] if members else ind.member_region_codes()


def get_analysis(members: Sequence[str] | None = None) -> Any:
    """The analysis for ``members`` (default: the member regions), from the stored result.

    Returns ``queries.Analysis``; its notes include ``being_recomputed`` when the stored result
    predates the current data.
    """
    from alpsbio.survey import queries

    try:
        member_list = _resolve(members)
    except DatabaseError:
        return queries.compute_analysis(members)
    fingerprint = data_version()
    if fingerprint == "unavailable":
        return queries.compute_analysis(member_list)
    key = snapshot_key(member_list)
    try:
        with transaction.atomic():  # a savepoint: a missing table must not break the request
            row = (
                AnalysisSnapshot.objects.filter(key=key, format=FORMAT)
                .values("id", "fingerprint", "computed_at", "requested_fingerprint", "requested_at")
                .first()
            )
    except DatabaseError as exc:  # not migrated yet: compute, as before the stored results
        logger.warning("stored analyses unavailable (%s; run migrate): computing", exc)
        return _present(queries.compute_analysis(member_list), member_list)
    stored = _load(key, row) if row is not None else None
    if row is None or stored is None:
        return _present(compute_and_store(member_list, fingerprint), member_list)
    if row["fingerprint"] == fingerprint:
        return _present(stored, member_list)
    now = timezone.now()
    requested_at = row["requested_at"]
    if row["requested_fingerprint"] == fingerprint and requested_at is not None:
        if now - requested_at > RECOMPUTE_TIMEOUT:
            logger.warning("analysis %s: background recomputation overdue, computing now", key)
            return _present(compute_and_store(member_list, fingerprint), member_list)
    else:
        AnalysisSnapshot.objects.filter(pk=row["id"]).update(
            requested_fingerprint=fingerprint, requested_at=now
        )
        request_refresh(member_list)
    return _present(stored, member_list, [BEING_RECOMPUTED])


_MAC_SIZE = 32


def _mac(body: bytes) -> bytes:
    """HMAC-SHA256 of a stored payload under a key derived from SECRET_KEY: only rows this
    installation wrote are ever unpickled, so write access to the database alone cannot run code."""
    key = hashlib.sha256(
        b"alpsbio.survey.analysis-snapshot:" + settings.SECRET_KEY.encode()
    ).digest()
    return hmac.new(key, body, hashlib.sha256).digest()


def _load(key: str, row: Mapping[str, Any]) -> Any:
    """The stored ``Analysis`` of ``row`` (unpickled once per process), or None if unreadable."""
    with _lock:
        hit = _memo.get(key)
        if hit is not None and hit[0] == row["id"] and hit[1] == row["computed_at"]:
            return hit[2]
    payload = (
        AnalysisSnapshot.objects.filter(pk=row["id"]).values_list("payload", flat=True).first()
    )
    if payload is None:
        return None
    data = bytes(payload)
    digest, body = data[:_MAC_SIZE], data[_MAC_SIZE:]
    if not hmac.compare_digest(digest, _mac(body)):
        # Not written by this installation (or another SECRET_KEY): never unpickle it.
        logger.warning("stored analysis %s has no valid signature: recomputing", key)
        return None
    try:
        value = pickle.loads(zlib.decompress(body))  # noqa: S301 - signed by us, checked above
    except Exception:  # an older code version wrote it: recompute
        logger.warning("stored analysis %s unreadable: recomputing", key, exc_info=True)
        return None
    with _lock:
        _memo[key] = (row["id"], row["computed_at"], value)
    return value


def _present(a: Any, member_list: list[str], extra_notes: Sequence[str] = ()) -> Any:
    """A shallow copy for this request: the requested member order, sector labels in the active
    language, and extra notes."""
    from alpsbio.survey import queries

    labels = a.sector_labels
    if a.sector_vocabulary:
        try:
            labels = _labels(a.sector_vocabulary, translation.get_language() or "en")
        except DatabaseError:
            labels = a.sector_labels
    if not isinstance(a, queries.Analysis):
        return a
    members = member_list if set(member_list) == set(a.members) else a.members
    return dataclasses.replace(
        a,
        members=list(members),
        sector_labels=labels,
        notes=[*a.notes, *extra_notes],
    )


def _labels(vocabulary: str, lang: str) -> dict[str, str]:
    from alpsbio.survey import queries

    with translation.override(lang):
        return queries._sector_labels(vocabulary)


def compute_and_store(members: Sequence[str] | None = None, fingerprint: str | None = None) -> Any:
    """Run the analysis now and store it under the data version taken *before* computing (a
    change during the computation makes the next request see a stale result)."""
    from alpsbio.survey import queries

    member_list = _resolve(members)
    fingerprint = fingerprint or data_version()
    with translation.override("en"):
        a = queries.compute_analysis(member_list)
    if "no_database" in a.notes or fingerprint == "unavailable":
        return a
    body = zlib.compress(pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL), 1)
    payload = _mac(body) + body
    key = snapshot_key(member_list)
    values = {
        "fingerprint": fingerprint,
        "format": FORMAT,
        "payload": payload,
        "computed_at": timezone.now(),
        "seconds": a.seconds,
        "size": len(payload),
        "requested_fingerprint": "",
        "requested_at": None,
    }
    try:
        with transaction.atomic():
            row, _created = AnalysisSnapshot.objects.update_or_create(key=key, defaults=values)
    except IntegrityError:  # another process stored the same key at the same moment
        logger.info("analysis %s stored concurrently by another process", key)
        return a
    except DatabaseError:
        logger.warning("analysis %s could not be stored", key, exc_info=True)
        return a
    with _lock:
        _memo[key] = (row.pk, row.computed_at, a)
    logger.info("analysis %s stored: %.1f s, %d bytes", key, a.seconds, len(payload))
    return a


def request_refresh(members: Sequence[str] | None = None) -> None:
    """Enqueue a background recomputation once the current transaction commits."""
    from alpsbio.survey.analysis_tasks import refresh_analysis

    args = [m.upper() for m in members] if members else None

    def enqueue() -> None:
        try:
            refresh_analysis.enqueue(args)
        except Exception:  # the pages fall back to computing on demand
            logger.exception("could not enqueue the analysis refresh")

    transaction.on_commit(enqueue)


def refresh_if_stale(members: Sequence[str] | None = None) -> bool:
    """The task's body: recompute unless the stored result is current. True if recomputed."""
    member_list = _resolve(members)
    fingerprint = data_version()
    current = AnalysisSnapshot.objects.filter(
        key=snapshot_key(member_list), format=FORMAT, fingerprint=fingerprint
    ).exists()
    if current:
        return False
    compute_and_store(member_list, fingerprint)
    return True


def clear_memo() -> None:
    """Forget the unpickled results of this process (tests: a restart)."""
    with _lock:
        _memo.clear()
