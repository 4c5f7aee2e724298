"""The partner picker (directory search as you type, with a no-JS fallback; admin autocomplete)
and the charts in the printable PDF report."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from alpsbio.funding import exports
from alpsbio.funding.models import FundingProject
from tests.funding.conftest import URLFIELD_WARNING

pytestmark = URLFIELD_WARNING


def _pdf_streams(pdf: bytes) -> bytes:
    """Every content stream of the PDF, inflated (WeasyPrint compresses them)."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return b"\n".join(out)


def test_pdf_report_contains_the_dashboard_charts(project: FundingProject) -> None:
    html = exports.report_html(project)
    # One chart per dimension and currency (EUR and CHF partners never share a scale).
    assert html.count("<svg") == 8
    for title in ("per partner", "per cost category", "per work package", "per period"):
        assert f"{title} (EUR)" in html
        assert f"{title} (CHF)" in html
    pdf = exports.report_pdf(project)
    assert pdf.startswith(b"%PDF")
    streams = _pdf_streams(pdf)
    # The bars are drawn in the PDF in the charts' colours (planned, declared, certified).
    for colour in ("9db4c8", "e0a458", "3b7d4f"):
        r, g, b = (int(colour[i : i + 2], 16) * 100 // 255 / 100 for i in (0, 2, 4))
        pattern = rf"{r:.2f}\d* {g:.2f}\d* {b:.2f}\d* rg".replace(".", r"\.").encode()
        assert re.search(pattern, streams), colour


def test_partner_picker_searches_the_directory_as_you_type(
    project: FundingProject, orgs: dict[str, Any], fclient: Callable[[str], Client]
) -> None:
    editor = fclient("editor")  # the lead partner
    setup = reverse("funding:setup", args=[project.pk])
    search = reverse("funding:org_search", args=[project.pk])
    page = editor.get(setup).content.decode()
    assert f'hx-get="{search}"' in page  # htmx search-as-you-type
    assert 'role="search"' in page  # the plain GET form without JavaScript
    assert 'type="search"' in page
    partial = editor.get(search, {"org_q": "hospices"}, HTTP_HX_REQUEST="true").content.decode()
    assert f'name="organisation" value="{orgs["hcl"].pk}"' in partial
    assert "Hospices Civils de Lyon" in partial
    assert "Lyon · FR · Hospital" in partial  # city, country, type
    assert "<html" not in partial
    # Existing partners are not offered again; the city is searched too.
    milano = editor.get(search, {"org_q": "Milano"}).content.decode()
    assert 'name="organisation"' not in milano
    # Without JavaScript: the same results inside the set-up page's partner form.
    fallback = editor.get(setup, {"org_q": "lyon"}).content.decode()
    assert f'name="organisation" value="{orgs["hcl"].pk}"' in fallback
    assert editor.get(search).content.decode().count('name="organisation"') == 0


@pytest.mark.parametrize(("persona", "status"), [("partner_it", 403), ("auditor", 403)])
def test_partner_picker_is_for_the_lead_only(
    project: FundingProject, fclient: Callable[[str], Client], persona: str, status: int
) -> None:
    search = reverse("funding:org_search", args=[project.pk])
    assert fclient(persona).get(search, {"org_q": "lyon"}).status_code == status
    page = fclient(persona).get(reverse("funding:setup", args=[project.pk]), {"org_q": "lyon"})
    assert 'name="organisation"' not in page.content.decode()


def test_picking_an_organisation_adds_the_partner(
    project: FundingProject, orgs: dict[str, Any], fclient: Callable[[str], Client]
) -> None:
    editor = fclient("editor")
    url = reverse("funding:setup", args=[project.pk])
    data = {
        "action": "partner",
        "role": "partner",
        "legal_status": "public",
        "scheme": "eu_public",
        "rate": "0.76",
    }
    response = editor.post(url, data, follow=True)
    assert "Pick the organisation from the directory search" in response.content.decode()
    editor.post(url, {**data, "organisation": orgs["hcl"].pk})
    assert project.partners.filter(organisation=orgs["hcl"], number=4).exists()


def test_admin_adds_a_partner_with_organisation_autocomplete(
    project: FundingProject, orgs: dict[str, Any], fclient: Callable[[str], Client]
) -> None:
    admin = fclient("admin")
    add_url = reverse("admin:funding_projectpartner_add")
    form = admin.get(add_url)
    assert form.status_code == 200
    assert "admin-autocomplete" in form.content.decode()
    found = admin.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "funding",
            "model_name": "projectpartner",
            "field_name": "organisation",
            "term": "hospices",
        },
    )
    assert found.status_code == 200
    assert [r["id"] for r in found.json()["results"]] == [str(orgs["hcl"].pk)]
    response = admin.post(
        add_url,
        {
            "project": project.pk,
            "organisation": orgs["hcl"].pk,
            "role": "partner",
            "legal_status": "public",
            "vat": "",
            "scheme": "eu_public",
            "rate": "0.76",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    added = project.partners.get(organisation=orgs["hcl"])
    assert added.number == 4  # numbered by the service
    assert {s.kind for s in added.funding_sources.all()} == {"eu_fund", "national_public"}
    assert fclient("editor").get(add_url).status_code in (302, 403)
