"""Expenditure attachments through the API: upload (multipart, validated, field-level 422),
list and download, with the pages' per-object permissions (role x action matrix)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from alpsbio.funding import services
from alpsbio.funding.models import ExpenditureItem, FundingProject, PartnerReport
from tests.funding.conftest import partner

BASE = "/api/v1/funding"
PDF = b"%PDF-1.4 invoice 2009-01"


@pytest.fixture
def item(project: FundingProject, funding_personas: Any) -> ExpenditureItem:
    """A staff cost in the draft report of partner 2 (University of Milan)."""
    report = services.create_report(None, partner(project, 2), project.periods.get(number=1))
    return services.add_expenditure(
        None,
        report,
        work_package_id=project.work_packages.first().pk,  # type: ignore[union-attr]
        category="staff",
        date=dt.date(2009, 1, 15),
        amount=Decimal("1000.00"),
        currency="EUR",
        invoice_ref="INV-1",
    )


def _upload(client: Client, item_id: int, name: str = "invoice.pdf", **kw: Any) -> Any:
    content = kw.pop("content", PDF)
    content_type = kw.pop("content_type", "application/pdf")
    return client.post(
        f"{BASE}/items/{item_id}/attachment",
        {"attachment": SimpleUploadedFile(name, content, content_type)},
    )


# Upload: the partner itself and the lead partner (and admins); everyone else is refused.
UPLOAD = {
    "admin": 201,
    "editor": 201,  # lead partner
    "partner_it": 201,  # the item's own partner
    "member": 403,  # officer of another partner
    "controller": 403,  # controls partner 2 but edits nothing
    "auditor": 403,  # read only
    "outsider": 403,
    "anonymous": 401,
}
# Read (list, download): whoever may see the partner.
READ = {
    "admin": 200,
    "editor": 200,
    "partner_it": 200,
    "controller": 200,
    "auditor": 200,
    "member": 403,
    "outsider": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize(("persona", "status"), UPLOAD.items())
def test_upload_permission_matrix(
    item: ExpenditureItem, fclient: Callable[[str], Client], persona: str, status: int
) -> None:
    response = _upload(fclient(persona), item.pk)
    assert response.status_code == status, response.content
    item.refresh_from_db()
    assert bool(item.attachment) == (status == 201)
    if status == 201:
        body = response.json()
        assert body["item_id"] == item.pk
        assert body["name"].endswith(".pdf")
        assert body["size"] == len(PDF)
        assert body["content_type"] == "application/pdf"
        assert body["url"] == f"{BASE}/items/{item.pk}/attachment"


@pytest.mark.parametrize(("persona", "status"), READ.items())
def test_list_and_download_permission_matrix(
    item: ExpenditureItem, fclient: Callable[[str], Client], persona: str, status: int
) -> None:
    assert _upload(fclient("partner_it"), item.pk).status_code == 201
    client = fclient(persona)
    listing = client.get(f"{BASE}/reports/{item.report_id}/attachments")
    assert listing.status_code == status
    download = client.get(f"{BASE}/items/{item.pk}/attachment")
    assert download.status_code == status
    if status == 200:
        assert [a["item_id"] for a in listing.json()] == [item.pk]
        assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("invoice.exe", b"MZ\x90\x00", "application/octet-stream", "Attach a PDF"),
        ("invoice.pdf", b"GIF89a....", "application/pdf", "does not match its type"),
        ("invoice.pdf", PDF, "image/png", "declared content type image/png"),
        ("invoice.pdf", b"", "application/pdf", "empty"),
    ],
)
def test_upload_validation_gives_field_errors(
    item: ExpenditureItem,
    fclient: Callable[[str], Client],
    name: str,
    content: bytes,
    content_type: str,
    message: str,
) -> None:
    response = _upload(
        fclient("partner_it"), item.pk, name, content=content, content_type=content_type
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["field"] == "attachment"
    assert message in errors[0]["message"]


def test_upload_size_limit_and_missing_file(
    item: ExpenditureItem, fclient: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 16)
    client = fclient("partner_it")
    too_big = _upload(client, item.pk, content=PDF + b"x" * 32)
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "attachment"
    assert "larger than" in too_big.json()["errors"][0]["message"]
    missing = client.post(f"{BASE}/items/{item.pk}/attachment", {})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "attachment"


def test_upload_replaces_and_is_refused_once_submitted(
    item: ExpenditureItem, fclient: Callable[[str], Client]
) -> None:
    client = fclient("partner_it")
    assert _upload(client, item.pk).status_code == 201
    second = _upload(client, item.pk, "scan.png", content=b"\x89PNG\r\n\x1a\n", content_type="")
    assert second.status_code == 201
    item.refresh_from_db()
    assert item.attachment.name.endswith(".png")
    flat = ExpenditureItem.objects.get(report=item.report, is_flat_rate=True)
    assert _upload(client, flat.pk).json()["errors"][0]["field"] == "item"
    report = PartnerReport.objects.get(pk=item.report_id)
    services.submit_report(None, report)
    late = _upload(client, item.pk)
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "report"


def test_report_without_attachments_lists_nothing_and_download_is_404(
    item: ExpenditureItem, fclient: Callable[[str], Client]
) -> None:
    client = fclient("editor")
    assert client.get(f"{BASE}/reports/{item.report_id}/attachments").json() == []
    assert client.get(f"{BASE}/items/{item.pk}/attachment").status_code == 404
    assert client.get(f"{BASE}/items/999999/attachment").status_code == 404
