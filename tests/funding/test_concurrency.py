"""Two people submit the same report at the same moment: exactly one submission wins."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from alpsbio.core.models import AuditEntry
from alpsbio.funding import services
from alpsbio.funding.models import FundingProject, PartnerReport, ReportStatus

from .conftest import D, partner


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_submission_of_the_same_report(
    project: FundingProject, funding_personas: dict[str, Any]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite has no row locks")
    it = partner(project, 2)
    report = services.create_report(None, it, project.periods.get(number=1))
    wp = project.work_packages.first()
    assert wp is not None
    services.add_expenditure(
        None,
        report,
        work_package_id=wp.pk,
        category="travel",
        date=dt.date(2009, 1, 5),
        amount=D("120.00"),
        currency="EUR",
    )
    users = [funding_personas["partner_it"], funding_personas["editor"]] * 2
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(user: Any) -> None:
        try:
            barrier.wait(timeout=10)
            services.submit_report(user, PartnerReport.objects.get(pk=report.pk))
            result = "ok"
        except ValidationError:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert AuditEntry.objects.filter(action="funding.report_submitted").count() == 1
