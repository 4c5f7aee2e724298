"""API: CRUD with permissions, workflow actions, interests, suggestions, search, 422 not 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from alpsbio.accounts.models import ApiToken, OrganisationRole
from alpsbio.directory.models import Organisation
from alpsbio.matching.models import Opportunity

BASE = "/api/v1/matching"


def _token(user: Any) -> dict[str, str]:
    _t, key = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _post(client: Client, url: str, body: Any, auth: dict[str, str]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **auth)


def test_create_submit_publish_via_api(
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
) -> None:
    c = Client()
    editor, manager = _token(personas["editor"]), _token(personas["manager_fr"])
    resp = _post(
        c,
        f"{BASE}/opportunities",
        {
            "organisation_id": orgs["uga"].pk,
            "kind": "RD",
            "title": {"de": "Partner für klinische Studie gesucht"},
            "trl": 5,
        },
        editor,
    )
    assert resp.status_code == 201, resp.content
    opp = resp.json()
    assert opp["reference"].startswith("RDFR")
    assert opp["status"] == "draft"
    # Drafts are invisible to the public.
    assert c.get(f"{BASE}/opportunities/{opp['id']}").status_code == 404
    assert _post(c, f"{BASE}/opportunities/{opp['id']}/submit", {}, editor).status_code == 200
    assert _post(
        c, f"{BASE}/opportunities/{opp['id']}/publish", {}, _token(personas["manager_it"])
    ).status_code in (403, 404)
    resp = _post(c, f"{BASE}/opportunities/{opp['id']}/publish", {}, manager)
    assert resp.json()["status"] == "published"
    listed = c.get(f"{BASE}/opportunities").json()
    assert [o["id"] for o in listed] == [opp["id"]]
    patched = c.patch(
        f"{BASE}/opportunities/{opp['id']}",
        json.dumps({"trl": 6}),
        content_type="application/json",
        **editor,
    )
    assert patched.json()["trl"] == 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "ZZ", "title": {"en": "t"}}, "kind"),
        ({"kind": "TO", "title": {"en": "t"}, "trl": 0}, "trl"),
        ({"kind": "TO", "title": {"en": "t"}, "expires_on": "not a date"}, "expires_on"),
        ({"kind": "TO", "title": {"xx": "t"}}, "title"),
        ({"kind": "TO", "title": "just text"}, "title"),
        ({"kind": "TO", "title": {"en": "t"}, "partner_types": ["alien"]}, "partner_types"),
    ],
)
def test_bad_input_is_a_field_level_422(
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    body: dict[str, Any],
    field: str,
) -> None:
    resp = _post(
        Client(),
        f"{BASE}/opportunities",
        {"organisation_id": orgs["uga"].pk, **body},
        _token(personas["editor"]),
    )
    assert resp.status_code == 422, resp.content
    assert field in {e["field"] for e in resp.json()["errors"]}


def test_writes_need_authentication_and_the_right_role(
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
) -> None:
    body = {"organisation_id": orgs["uga"].pk, "kind": "TO", "title": {"en": "t"}}
    assert _post(Client(), f"{BASE}/opportunities", body, {}).status_code == 401
    assert (
        _post(Client(), f"{BASE}/opportunities", body, _token(personas["member"])).status_code
        == 403
    )


def test_interest_flow_and_contacts_via_api(
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    make_opp: Callable[..., Opportunity],
) -> None:
    from django.utils import timezone

    from alpsbio.directory.models import Person

    opp = make_opp(status="published")
    Person.objects.create(
        organisation=orgs["uga"],
        first_name="Anne",
        last_name="Martin",
        email="anne@example.org",
        consent_given_at=timezone.now(),
    )
    OrganisationRole.objects.create(user=personas["outsider"], organisation=orgs["unimi"])
    c = Client()
    responder = _token(personas["outsider"])
    resp = _post(
        c,
        f"{BASE}/opportunities/{opp.pk}/interests",
        {"organisation_id": orgs["unimi"].pk, "message": "Interested in a pilot."},
        responder,
    )
    assert resp.status_code == 201, resp.content
    eoi = resp.json()
    assert eoi["owner_contacts"] == []
    assert _post(c, f"{BASE}/interests/{eoi['id']}/accept", {}, responder).status_code == 403
    accepted = _post(c, f"{BASE}/interests/{eoi['id']}/accept", {}, _token(personas["editor"]))
    assert accepted.json()["status"] == "accepted"
    seen = c.get(f"{BASE}/interests/{eoi['id']}", **responder).json()
    # The editor who accepted comes first, then the owner's contact persons who consented.
    assert [p["email"] for p in seen["owner_contacts"]] == [
        "editor@example.org",
        "anne@example.org",
    ]
    assert seen["owner_contacts"][0]["role"] == "accepted it"
    # The responder's side: whoever wrote the expression of interest.
    assert seen["responder_contacts"] == [
        {
            "name": "outsider",
            "email": "outsider@example.org",
            "phone": "",
            "job_title": "",
            "role": "wrote it",
        }
    ]
    assert c.get(f"{BASE}/interests/{eoi['id']}", **_token(personas["member"])).status_code == 200
    assert (
        c.get(f"{BASE}/interests/{eoi['id']}", **_token(personas["manager_it"])).status_code == 403
    )


def test_suggestions_search_and_matches_are_public(
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
    make_opp: Callable[..., Opportunity],
    texts: dict[str, dict[str, str]],
) -> None:
    c = Client()
    sugg = c.get(f"{BASE}/organisations/{orgs['uga'].pk}/suggestions").json()
    assert sugg
    assert {"reasons", "common_partners", "crosses_border"} <= set(sugg[0])
    parts = sugg[0]["score_parts"]
    assert set(parts) == {
        "text", "history", "complementarity", "sought", "cross_border", "cross_sector",
        "shared_network", "total",
    }  # fmt: skip
    assert parts["total"] == pytest.approx(sugg[0]["score"], abs=1e-3)
    weights = sugg[0]["score_weights"]
    assert weights["history"] == 0.25
    assert sum(parts[k] * w for k, w in weights.items()) == pytest.approx(parts["total"], abs=1e-3)
    offer = make_opp(title={"fr": texts["offer"]["fr"]}, status="published")
    request = make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    hits = c.get(f"{BASE}/search", {"q": "liquid biopsy cancer"}).json()
    assert offer.pk in [h["opportunity_id"] for h in hits]
    matches = c.get(f"{BASE}/opportunities/{request.pk}/matches").json()
    assert matches[0]["opportunity_id"] == offer.pk
    assert c.get(f"{BASE}/search").status_code == 422
    assert c.get(f"{BASE}/search", {"q": "x", "limit": "lots"}).status_code == 422
    assert c.get(f"{BASE}/organisations/999999/suggestions").status_code == 404


def test_policy_and_outcomes_permissions(personas: dict[str, Any]) -> None:
    c = Client()
    body = {"border_bonus": 0.2, "sector_bonus": 0.1, "network_bonus": 0.05}
    assert (
        c.put(
            f"{BASE}/policy",
            json.dumps(body),
            content_type="application/json",
            **_token(personas["manager_fr"]),
        ).status_code
        == 403
    )
    ok = c.put(
        f"{BASE}/policy",
        json.dumps(body),
        content_type="application/json",
        **_token(personas["admin"]),
    )
    assert ok.json()["border_bonus"] == 0.2
    assert ok.json()["history_weight"] == 0.25  # not sent: unchanged
    ok = c.put(
        f"{BASE}/policy",
        json.dumps({**body, "history_weight": 0.6}),
        content_type="application/json",
        **_token(personas["admin"]),
    )
    assert c.get(f"{BASE}/policy", **_token(personas["member"])).json()["history_weight"] == 0.6
    bad = c.put(
        f"{BASE}/policy",
        json.dumps({**body, "border_bonus": 5, "history_weight": -1}),
        content_type="application/json",
        **_token(personas["admin"]),
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"border_bonus", "history_weight"} <= fields
    assert c.get(f"{BASE}/outcomes", **_token(personas["member"])).status_code == 403
    report = c.get(f"{BASE}/outcomes", **_token(personas["manager_fr"])).json()
    assert report["totals"]["eois"] == 0
    period = {"start": "2026-01-01", "end": "2026-12-31"}
    assert c.get(f"{BASE}/outcomes", period, **_token(personas["manager_fr"])).status_code == 200
    reversed_period = {"start": "2026-12-31", "end": "2026-01-01"}
    bad = c.get(f"{BASE}/outcomes", reversed_period, **_token(personas["manager_fr"]))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "end"
    not_a_date = c.get(f"{BASE}/outcomes", {"start": "soon"}, **_token(personas["manager_fr"]))
    assert not_a_date.status_code == 422


def test_opportunity_list_api_filters(
    orgs: dict[str, Organisation],
    make_opp: Callable[..., Opportunity],
) -> None:
    lyon = make_opp(status="published", title={"en": "Lyon"})
    milan = make_opp(org=orgs["unimi"], kind="TR", status="published", title={"en": "Milan"})
    Opportunity.objects.filter(pk=milan.pk).update(is_demo=True)
    c = Client()

    def ids(**params: Any) -> list[int]:
        resp = c.get(f"{BASE}/opportunities", params)
        assert resp.status_code == 200, resp.content
        return sorted(o["id"] for o in resp.json())

    assert ids() == sorted([lyon.pk, milan.pk])
    assert ids(country="it") == [milan.pk]
    assert ids(region="ITC4") == [milan.pk]
    assert ids(region="member") == sorted([lyon.pk, milan.pk])
    assert ids(demo="false") == [lyon.pk]
    assert c.get(f"{BASE}/opportunities", {"demo": "maybe"}).status_code == 422
