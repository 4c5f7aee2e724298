"""Pages: reachable, permission-checked, and wired to the services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from alpsbio.accounts.models import OrganisationRole
from alpsbio.directory.models import Organisation
from alpsbio.matching.models import ExpressionOfInterest, Opportunity


def test_opportunity_list_is_public_and_in_the_nav(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
) -> None:
    published = make_opp(title={"en": "Published offer"}, status="published")
    make_opp(title={"en": "Secret draft"})
    resp = client_for("anonymous").get(reverse("matching:opportunities"))
    body = resp.content.decode()
    assert resp.status_code == 200
    assert published.reference in body
    assert "Secret draft" not in body
    assert reverse("matching:opportunities") in body  # main navigation shows the section


def test_editor_creates_submits_and_manager_publishes_through_pages(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
) -> None:
    editor = client_for("editor")
    resp = editor.post(
        reverse("matching:create"),
        {
            "organisation": orgs["uga"].pk,
            "kind": "TR",
            "title_fr": "Recherche d'un capteur",
            "summary_fr": "Un capteur portable",
            "trl": "4",
            "keywords": "capteur, santé",
            "partner_types": ["sme"],
            "partner_regions": "IT, CH01",
        },
    )
    assert resp.status_code == 302
    opp = Opportunity.objects.get()
    assert opp.keywords == ["capteur", "santé"]
    assert opp.partner_regions == ["IT", "CH01"]
    assert editor.post(reverse("matching:action", args=[opp.pk, "submit"])).status_code == 302
    manager = client_for("manager_fr")
    assert opp.reference in manager.get(reverse("matching:review")).content.decode()
    page = manager.get(reverse("matching:detail", args=[opp.pk])).content.decode()
    assert "Publish" in page
    manager.post(reverse("matching:action", args=[opp.pk, "publish"]))
    opp.refresh_from_db()
    assert opp.status == "published"


def test_form_shows_field_errors(
    client_for: Callable[[str], Client], orgs: dict[str, Organisation]
) -> None:
    resp = client_for("editor").post(
        reverse("matching:create"),
        {
            "organisation": orgs["uga"].pk,
            "kind": "TO",
            "expires_on": "2001-01-01",
        },
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "Give a title in at least one language." in body
    assert "The expiry date must be in the future." in body


def test_member_cannot_create_or_see_drafts_of_others(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
) -> None:
    assert client_for("member").get(reverse("matching:create")).status_code == 403
    draft = make_opp(org=orgs["hcl"])
    assert (
        client_for("outsider").get(reverse("matching:detail", args=[draft.pk])).status_code == 403
    )
    assert (
        client_for("manager_fr").get(reverse("matching:detail", args=[draft.pk])).status_code == 200
    )


def test_interest_accept_and_contacts_through_pages(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    django_capture_on_commit_callbacks: Any,
) -> None:
    opp = make_opp(status="published")
    OrganisationRole.objects.create(user=personas["outsider"], organisation=orgs["unimi"])
    responder = client_for("outsider")
    assert (
        "Express interest"
        in responder.get(reverse("matching:detail", args=[opp.pk])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        resp = responder.post(
            reverse("matching:express_interest", args=[opp.pk]),
            {
                "organisation": orgs["unimi"].pk,
                "message": "We would like to test it in Milan.",
            },
        )
    assert resp.status_code == 302
    assert any("editor@example.org" in m.to for m in mail.outbox)
    eoi = ExpressionOfInterest.objects.get()
    owner = client_for("editor")
    owner.post(reverse("matching:eoi_decide", args=[eoi.pk]), {"decision": "accept"})
    eoi.refresh_from_db()
    assert eoi.status == "accepted"
    assert (
        client_for("anonymous").get(reverse("matching:eoi_detail", args=[eoi.pk])).status_code
        == 302
    )
    # Both sides now see who to write to, even where no contact person consented in the
    # directory: the responder sees the editor who accepted, the owner sees the author.
    seen_by_responder = responder.get(reverse("matching:eoi_detail", args=[eoi.pk]))
    assert 'href="mailto:editor@example.org"' in seen_by_responder.content.decode()
    seen_by_owner = owner.get(reverse("matching:eoi_detail", args=[eoi.pk])).content.decode()
    assert 'href="mailto:outsider@example.org"' in seen_by_owner
    assert "(wrote it)" in seen_by_owner


def test_an_actor_listed_in_the_directory_appears_once_with_its_details(
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    from django.utils import timezone

    from alpsbio.directory.models import Person
    from alpsbio.matching import queries, services

    opp = make_opp(status="published")
    Person.objects.create(
        organisation=orgs["uga"],
        first_name="Eda",
        last_name="Torre",
        email="Editor@example.org",
        job_title="Technology transfer officer",
        consent_given_at=timezone.now(),
    )
    eoi = interest_from_milan(opp, "A pilot in Milan?")
    assert queries.shared_contacts(personas["editor"], eoi) == {"owner": [], "responder": []}
    services.decide_interest(personas["editor"], eoi, accept=True)
    eoi.refresh_from_db()
    owner_side = queries.shared_contacts(personas["outsider"], eoi)["owner"]
    assert len(owner_side) == 1
    assert owner_side[0]["name"] == "Eda Torre"
    assert owner_side[0]["job_title"] == "Technology transfer officer"
    assert owner_side[0]["role"] == "accepted it"


def test_search_page_and_htmx_fragment(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    texts: dict[str, dict[str, str]],
) -> None:
    make_opp(title={"fr": texts["offer"]["fr"]}, status="published")
    client = client_for("anonymous")
    url = reverse("matching:search")
    full = client.get(url, {"q": "biopsia liquida tumori"})
    assert full.status_code == 200
    assert "<html" in full.content.decode()
    frag = client.get(url, {"q": "biopsia liquida tumori"}, HTTP_HX_REQUEST="true")
    body = frag.content.decode()
    assert "<html" not in body
    assert "Diagnostic moléculaire" in body


def test_search_page_filters_and_their_errors(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    texts: dict[str, dict[str, str]],
) -> None:
    make_opp(org=orgs["uga"], title={"fr": texts["offer"]["fr"]}, status="published")
    make_opp(org=orgs["unimi"], kind="TR", title=texts["request"], status="published")
    client = client_for("anonymous")
    url = reverse("matching:search")
    q = "biopsia liquida tumori"
    page = client.get(url, {"q": q}).content.decode()
    # The filters offer the directory's countries and the cluster's regions.
    assert '<option value="IT">' in page
    assert '<option value="member">' in page
    assert '<option value="FRK2">' in page
    assert "Technology offer" in page
    assert "Università degli Studi di Milano" in page
    body = client.get(url, {"q": q, "country": "FR"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Diagnostic moléculaire" in body
    assert "Università degli Studi di Milano" not in body
    # Who each result is: its type, region and country.
    assert "University · Rhône-Alpes, FR" in body
    bad = client.get(url, {"q": q, "type": "spaceship", "country": "XX"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert 'id="id_type_errors"' in html
    assert 'id="id_country_errors"' in html
    assert "Diagnostic moléculaire" not in html  # no search on invalid filters


def test_suggested_partners_fragment(
    client_for: Callable[[str], Client],
    orgs: dict[str, Organisation],
    projects: dict[str, Any],
) -> None:
    resp = client_for("anonymous").get(
        reverse("matching:suggested_partners", args=[orgs["uga"].pk])
    )
    body = resp.content.decode()
    assert resp.status_code == 200
    # The organisation page's card carries the heading; the fragment does not repeat it.
    assert "<h2" not in body
    assert "each suggestion says why" in body
    assert "Università degli Studi di Milano" in body
    assert "Common partners in EU projects" in body
    assert "How the score is made" in body  # the engine's parts, so a person can judge
    # 1 - exp(-1/log 2), and its weight
    assert '<th scope="row">Collaboration history</th><td>0.76</td><td>0.25</td>' in body


def test_dashboard_panel_shows_suggestions(
    client_for: Callable[[str], Client],
    projects: dict[str, Any],
) -> None:
    body = client_for("editor").get(reverse("accounts:dashboard")).content.decode()
    assert "Partner matchmaking" in body
    assert "Suggested partners for" in body


def test_dashboard_lists_what_waits_for_the_editor(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
    personas: dict[str, Any],
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    returned = make_opp(status="returned", title={"en": "Returned profile"})
    expiring = make_opp(status="published", title={"en": "Expiring profile"})
    Opportunity.objects.filter(pk=expiring.pk).update(expires_on=today + dt.timedelta(days=5))
    later = make_opp(status="published", title={"en": "Profile valid for months"})
    answered = make_opp(status="published", title={"en": "Answered profile"})
    eoi = interest_from_milan(answered, "We sequence tumour DNA in Milan.")
    body = client_for("editor").get(reverse("accounts:dashboard")).content.decode()
    assert "Waiting for you" in body
    assert f'href="/en/opportunities/{returned.pk}/">Returned profile</a>' in body
    assert "returned by the cluster manager" in body
    assert f'href="/en/opportunities/{expiring.pk}/">Expiring profile</a>' in body
    assert "renew it if it is still current" in body
    assert f"/en/opportunities/interest/{eoi.pk}/" in body
    assert "Università degli Studi di Milano is interested in “Answered profile”" in body
    assert later.display_title not in body.split("Waiting for you")[1].split("</ul>")[0]
    # A plain member of the organisation has nothing to act on: no list.
    assert (
        "Waiting for you"
        not in client_for("member").get(reverse("accounts:dashboard")).content.decode()
    )


def test_profile_form_puts_the_readers_language_first_and_folds_empty_ones(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
) -> None:
    import re

    client = client_for("editor")
    page = client.get("/fr/opportunities/new/").content.decode()
    blocks = re.findall(r'<details class="lang-block"( open)?>\s*<summary>([^<]+)</summary>', page)
    assert blocks == [(" open", "Français"), ("", "Anglais"), ("", "Italien"), ("", "Allemand")]
    # The texts come before the details, under their own headings.
    assert page.index("Ce que vous offrez ou cherchez") < page.index('name="keywords"')
    assert "Vide : un an à partir d" in page
    # Editing: a language that already has text opens too.
    opp = make_opp(title={"en": "Liquid biopsy kit"})
    page = client.get(f"/fr/opportunities/{opp.pk}/edit/").content.decode()
    blocks = re.findall(r'<details class="lang-block"( open)?>\s*<summary>([^<]+)</summary>', page)
    assert blocks[:2] == [(" open", "Français"), (" open", "Anglais")]
    assert ("", "Italien") in blocks
    # An error in a folded language opens it.
    resp = client.post(
        "/fr/opportunities/new/",
        {"kind": "TO", "title_it": "x" * 201, "organisation": opp.organisation_id},
    )
    blocks = re.findall(
        r'<details class="lang-block"( open)?>\s*<summary>([^<]+)</summary>', resp.content.decode()
    )
    assert (" open", "Italien") in blocks


def test_detail_names_the_partner_sought_and_the_places(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
) -> None:
    opp = make_opp(
        status="published",
        partner_types=["hospital", "sme"],
        partner_regions="ITC4, ch01, US",
    )
    page = client_for("anonymous").get(f"/it/opportunities/{opp.pk}/").content.decode()
    assert "<dd>Ospedale, PMI</dd>" in page  # labels in the reader's language, not codes
    # NUTS codes named (whatever case they were typed in); a code NUTS lacks stays a code.
    assert "Lombardia (ITC4), " in page
    assert "(CH01), US</dd>" in page
    assert "<dd>Rhône-Alpes, FR</dd>" in page  # the owner's region, not only its country


def test_opportunity_list_filters_by_place_demo_and_mine(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
) -> None:
    make_opp(status="published", title={"en": "Lyon liquid biopsy"})
    make_opp(org=orgs["unimi"], kind="TR", status="published", title={"en": "Milan sensor"})
    demo = make_opp(org=orgs["epfl"], status="published", title={"en": "Lausanne demo"})
    Opportunity.objects.filter(pk=demo.pk).update(is_demo=True)
    client = client_for("editor")

    def titles(**params: str) -> set[str]:
        body = client.get(reverse("matching:opportunities"), params).content.decode()
        return {t for t in ("Lyon liquid biopsy", "Milan sensor", "Lausanne demo") if t in body}

    assert titles() == {"Lyon liquid biopsy", "Milan sensor", "Lausanne demo"}
    assert titles(country="IT") == {"Milan sensor"}
    assert titles(region="FRK2") == {"Lyon liquid biopsy"}
    assert titles(region="CH01") == {"Lausanne demo"}
    assert titles(region="member") == {"Lyon liquid biopsy", "Milan sensor", "Lausanne demo"}
    assert titles(demo="0") == {"Lyon liquid biopsy", "Milan sensor"}
    assert titles(mine="1") == {"Lyon liquid biopsy"}
    assert titles(country="XX", region="nowhere") == titles()  # unknown values are ignored
    # Pages keep the filters.
    for i in range(20):
        make_opp(status="published", title={"en": f"Lyon profile {i}"})
    body = client.get(reverse("matching:opportunities"), {"mine": "1", "demo": "0"}).content
    assert b"?page=2&amp;demo=0&amp;mine=1" in body


def test_report_for_a_period_and_its_downloads(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    import csv
    import datetime as dt
    import io

    from django.utils import timezone
    from openpyxl import load_workbook

    old = interest_from_milan(make_opp(status="published"), "An old contact of ours.")
    interest_from_milan(make_opp(status="published"), "A new one, this year.")
    today = timezone.localdate()
    ExpressionOfInterest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    manager = client_for("manager_fr")
    url = reverse("matching:report")

    def total(**period: str) -> str:
        body = manager.get(url, period).content.decode()
        return body.split('<div class="stat"><strong>')[1].split("<")[0]

    assert total() == "2"
    assert total(start=str(today - dt.timedelta(days=30))) == "1"
    assert total(end=str(today - dt.timedelta(days=30))) == "1"
    bad = manager.get(url, {"start": str(today), "end": str(today - dt.timedelta(days=1))})
    assert bad.status_code == 400
    assert 'id="id_end_errors"' in bad.content.decode()
    # Downloads carry the same period: a row per region, per network, and the total.
    resp = manager.get(url, {"format": "csv", "start": str(today - dt.timedelta(days=30))})
    assert resp["Content-Type"].startswith("text/csv")
    assert "matchmaking-outcomes-" in resp["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Breakdown", "Name", "Expressions of interest"]
    assert ["Region", "FRK2", "1", "0", "0", "0", "0", "0"] in rows
    assert rows[-1][:3] == ["Total", "", "1"]
    xlsx = manager.get(url, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[sheet.max_row]][:3] == ["Total", None, 2]
    assert client_for("member").get(url, {"format": "csv"}).status_code == 403


def test_a_regional_manager_dashboard_lists_the_profiles_to_review(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
) -> None:
    lyon = make_opp(status="submitted", title={"en": "Submitted in Lyon"})
    make_opp(org=orgs["unimi"], status="submitted", title={"en": "Submitted in Milan"})
    body = client_for("manager_fr").get(reverse("accounts:dashboard")).content.decode()
    assert "1 profile to review" in body
    assert f'href="/en/opportunities/{lyon.pk}/">Submitted in Lyon</a>' in body
    assert "Submitted in Milan" not in body  # another region's manager reviews it
    assert 'href="/en/opportunities/outcomes/"' in body
    # Nothing to review: no heading, but the panel and the report link stay.
    Opportunity.objects.filter(pk=lyon.pk).update(status="published")
    body = client_for("manager_fr").get(reverse("accounts:dashboard")).content.decode()
    assert "to review" not in body
    assert "Partner matchmaking" in body


def test_interest_list_says_which_were_received_and_which_sent(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
    interest_from_milan: Callable[..., ExpressionOfInterest],
) -> None:
    import re

    opp = make_opp(status="published", title={"en": "Lyon offer"})
    interest_from_milan(opp, "From Milan, with care.")

    def direction(who: str) -> list[str]:
        body = client_for(who).get(reverse("matching:eois")).content.decode()
        return re.findall(r'<span class="badge">(received|sent)</span>', body)

    assert direction("editor") == ["received"]  # UGA owns the profile
    assert direction("outsider") == ["sent"]  # UNIMI wrote the interest
    assert direction("manager_fr") == []  # sees it as the owner's manager, neither side


def test_report_is_for_managers_only(client_for: Callable[[str], Client]) -> None:
    assert client_for("member").get(reverse("matching:report")).status_code == 403
    assert client_for("manager_it").get(reverse("matching:report")).status_code == 200


def test_preferences_and_unsubscribe_link(
    client_for: Callable[[str], Client],
    personas: dict[str, Any],
) -> None:
    from alpsbio.matching.models import MatchingPreference
    from alpsbio.matching.tasks import unsubscribe_token

    url = reverse("matching:unsubscribe", args=[unsubscribe_token(personas["member"].pk)])
    anon = client_for("anonymous")
    assert anon.get(url).status_code == 200
    assert not MatchingPreference.objects.exists()  # GET alone changes nothing
    anon.post(url)
    assert MatchingPreference.objects.get(user=personas["member"]).weekly_digest is False
    assert anon.get(reverse("matching:unsubscribe", args=["forged"])).status_code == 400
    client_for("member").post(reverse("matching:preferences"), {"weekly_digest": "on"})
    assert MatchingPreference.objects.get(user=personas["member"]).weekly_digest is True


def test_interest_form_offers_a_single_organisation_without_a_blank_choice(
    orgs: dict[str, Organisation],
) -> None:
    from alpsbio.matching.forms import InterestForm

    one = InterestForm(organisations=Organisation.objects.filter(pk=orgs["unimi"].pk))
    options = list(one.fields["organisation"].widget.choices)
    assert [str(label) for _value, label in options] == [str(orgs["unimi"])]
    # With two, the member must say on whose behalf: the blank choice stays.
    two = InterestForm(
        organisations=Organisation.objects.filter(pk__in=[orgs["unimi"].pk, orgs["hcl"].pk])
    )
    values = [str(value) for value, _label in two.fields["organisation"].widget.choices]
    assert "" in values
    assert len(values) == 3


def test_a_profile_without_matches_says_which_types_would_answer_it(
    client_for: Callable[[str], Client],
    make_opp: Callable[..., Opportunity],
    orgs: dict[str, Organisation],
) -> None:
    expertise = make_opp(
        org=orgs["uga"], kind="EX", title={"en": "Liquid biopsy expertise"}, status="published"
    )
    url = reverse("matching:detail", args=[expertise.pk])
    page = client_for("anonymous").get(url).content.decode()
    # Only requests answer an expertise profile, and none is published.
    assert (
        "This profile is answered by: Technology request, Business request, "
        "R&amp;D partner request." in page
    )
    assert "No published profile of these types matches yet." in page
    org_page = reverse("directory:detail", args=[orgs["uga"].pk])
    assert f'href="{org_page}#suggested-partners"' in page
    assert 'id="suggested-partners"' in client_for("member").get(org_page).content.decode()
    # A published request of another organisation is matched, and the empty state goes.
    make_opp(
        org=orgs["unimi"], kind="RD", title={"en": "Liquid biopsy partner"}, status="published"
    )
    page = client_for("anonymous").get(url).content.decode()
    assert "Liquid biopsy partner" in page
    assert "No published profile of these types matches yet." not in page


def test_the_form_preselects_the_editors_only_organisation(
    client_for: Callable[[str], Client],
    personas: dict[str, Any],
    orgs: dict[str, Organisation],
) -> None:
    from alpsbio.accounts.models import OrganisationRole

    form = client_for("editor").get(reverse("matching:create")).context["form"]
    assert form["organisation"].value() == orgs["uga"].pk
    OrganisationRole.objects.create(
        user=personas["editor"], organisation=orgs["hcl"], role="editor"
    )
    form = client_for("editor").get(reverse("matching:create")).context["form"]
    assert form["organisation"].value() is None  # two: the editor chooses
