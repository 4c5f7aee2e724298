"""No overbooking under concurrent registrations: real threads, real connections, PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from alpsbio.events import services
from alpsbio.events.models import Registration

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent writers (SQLite serialises writers)",
    ),
]


def _in_parallel(funcs: list[Any]) -> list[BaseException]:
    barrier = threading.Barrier(len(funcs))
    errors: list[BaseException] = []

    def run(fn: Any) -> None:
        try:
            barrier.wait()
            fn()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in funcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_parallel_registrations_never_overbook(make_event: Any, make_user: Any) -> None:
    """12 people race for 5 seats: exactly 5 confirmed, 7 on the waiting list."""
    event = make_event(capacity=5)
    users = [make_user() for _ in range(12)]
    errors = _in_parallel([lambda u=u: services.register(u, event) for u in users])
    assert errors == []
    statuses = list(Registration.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count("confirmed") == 5
    assert statuses.count("waiting") == 7


def test_parallel_cancellations_promote_each_seat_once(make_event: Any, make_user: Any) -> None:
    """Cancellations racing each other promote exactly one waiting person per freed seat."""
    event = make_event(capacity=4)
    users = [make_user() for _ in range(10)]
    regs = [services.register(u, event) for u in users]
    cancel = regs[:4]  # the four confirmed ones cancel at the same time
    errors = _in_parallel([lambda r=r: services.cancel_registration(r.user, r) for r in cancel])
    assert errors == []
    statuses = list(Registration.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count("confirmed") == 4
    assert statuses.count("cancelled") == 4
    assert statuses.count("waiting") == 2
