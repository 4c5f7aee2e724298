"""Pages of the matching app: thin (parse, authorise, call one service, render)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alpsbio.accounts.models import User
from alpsbio.core import tables
from alpsbio.core.forms import attach_service_errors
from alpsbio.directory.models import Organisation
from alpsbio.matching import forms, permissions, queries, services, tasks
from alpsbio.matching import index as match_index
from alpsbio.matching.models import (
    COMPLEMENTARY_TYPES,
    ExpressionOfInterest,
    MatchingPreference,
    Opportunity,
    OpportunityStatus,
    OpportunityType,
    OutcomeFollowUp,
)


def opportunity_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    q = (get.get("q") or "").strip()[:200]
    # Unknown values are ignored (the list stays usable), as the selects only offer known ones.
    kind = get.get("kind", "") if get.get("kind", "") in OpportunityType.values else ""
    status = get.get("status", "") if get.get("status", "") in OpportunityStatus.values else ""
    countries = queries.search_country_choices()
    regions = queries.member_region_choices()
    country = get.get("country", "") if get.get("country", "") in dict(countries) else ""
    region = get.get("region", "")
    region = region if region in dict(regions) or region == queries.MEMBER_REGIONS else ""
    demo = get.get("demo", "1") != "0"
    mine = get.get("mine") == "1" and request.user.is_authenticated
    qs = queries.opportunities_for(
        request.user,
        kind=kind,
        status=status,
        q=q,
        country=country,
        region=region,
        demo=demo,
        mine=mine,
    )
    page = Paginator(qs, 20).get_page(get.get("page"))
    chosen = {"q": q, "kind": kind, "status": status, "country": country, "region": region}
    chosen.update({"demo": "" if demo else "0", "mine": "1" if mine else ""})
    return render(
        request,
        "matching/opportunity_list.html",
        {
            "page": page,
            "kind": kind,
            "status": status,
            "q": q,
            "country": country,
            "region": region,
            "demo": demo,
            "mine": mine,
            "countries": countries,
            "regions": regions,
            "query": urlencode({k: v for k, v in chosen.items() if v}),
            "kinds": OpportunityType.choices,
            "statuses": OpportunityStatus.choices,
            "can_create": permissions.editor_organisations(request.user).exists(),
            "review_count": queries.review_queue(request.user).count(),
        },
    )


def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_object_or_404(
        Opportunity.objects.select_related("organisation", "organisation__nuts2"), pk=pk
    )
    user = request.user
    if not permissions.can_view_opportunity(user, opp):
        raise PermissionDenied
    lang = get_language()
    answerable = permissions.member_organisations(user).exclude(pk=opp.organisation_id)
    already = set(
        ExpressionOfInterest.objects.filter(opportunity=opp).values_list(
            "organisation_id", flat=True
        )
    )
    answerable = answerable.exclude(pk__in=already)
    is_owner = permissions.is_editor_of(user, opp.organisation)
    matches: list[Any] = []
    fitting: list[Any] = []
    fitting_sought = False
    matches_pending = False
    if opp.status == OpportunityStatus.PUBLISHED:
        try:
            matches = queries.opportunity_matches(opp.pk, limit=10, lang=lang)
            fitting, fitting_sought = queries.fitting_organisations(opp, limit=8, lang=lang)
        except match_index.IndexNotReady:
            matches_pending = True
    answering = COMPLEMENTARY_TYPES.get(opp.kind, frozenset())
    context = {
        "opp": opp,
        "matches": matches,
        "fitting": fitting,
        "fitting_sought": fitting_sought,
        "matches_pending": matches_pending,
        "match_kinds": [label for code, label in OpportunityType.choices if code in answering],
        "can_edit": permissions.can_edit_opportunity(user, opp),
        "can_submit": is_owner
        and opp.status in {OpportunityStatus.DRAFT, OpportunityStatus.RETURNED},
        "can_review": (
            permissions.can_review_opportunity(user, opp)
            and opp.status == OpportunityStatus.SUBMITTED
        ),
        "can_renew": is_owner
        and opp.status in {OpportunityStatus.PUBLISHED, OpportunityStatus.EXPIRED},
        "interest_form": (
            forms.InterestForm(organisations=answerable)
            if opp.status == OpportunityStatus.PUBLISHED and answerable.exists()
            else None
        ),
        "eois": (
            opp.expressions_of_interest.select_related("organisation")
            if is_owner or permissions.can_review_opportunity(user, opp)
            else []
        ),
        "return_form": forms.ReturnForm(),
        "nace": list(opp.nace_codes.all()),
        "sought_types": queries.organisation_type_labels(opp.partner_types or []),
        "sought_regions": queries.place_names(opp.partner_regions or []),
    }
    return render(request, "matching/opportunity_detail.html", context)


def _opportunity_form_page(
    request: HttpRequest, form: forms.OpportunityForm, opp: Opportunity | None
) -> HttpResponse:
    blocks = form.language_blocks(get_language() or "en")
    return render(
        request, "matching/opportunity_form.html", {"form": form, "opp": opp, "blocks": blocks}
    )


@login_required
def opportunity_create(request: HttpRequest) -> HttpResponse:
    orgs = permissions.editor_organisations(request.user)
    if not orgs.exists():
        raise PermissionDenied
    if request.method == "POST":
        form = forms.OpportunityForm(request.POST, organisations=orgs)
        if form.is_valid():
            try:
                opp = services.create_opportunity(
                    request.user, form.cleaned_data["organisation"], form.to_data()
                )
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Draft %s saved. Submit it for review when ready.") % opp.reference
                )
                return redirect("matching:detail", opp.pk)
    else:
        only = list(orgs.values_list("pk", flat=True)[:2])
        initial = {
            "organisation": request.GET.get("organisation") or (only[0] if len(only) == 1 else None)
        }
        form = forms.OpportunityForm(initial=initial, organisations=orgs)
    return _opportunity_form_page(request, form, None)


@login_required
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_object_or_404(Opportunity.objects.select_related("organisation"), pk=pk)
    if not permissions.can_edit_opportunity(request.user, opp):
        raise PermissionDenied
    if request.method == "POST":
        form = forms.OpportunityForm(request.POST)
        if form.is_valid():
            try:
                services.update_opportunity(request.user, opp, form.to_data())
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("matching:detail", opp.pk)
    else:
        form = forms.OpportunityForm(initial=forms.OpportunityForm.initial_from(opp))
    return _opportunity_form_page(request, form, opp)


_ACTIONS: dict[str, Callable[..., Opportunity]] = {
    "submit": services.submit_opportunity,
    "publish": services.publish_opportunity,
    "renew": services.renew_opportunity,
}


@login_required
@require_POST
def opportunity_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    opp = get_object_or_404(Opportunity.objects.select_related("organisation"), pk=pk)
    try:
        if action == "return":
            services.return_opportunity(request.user, opp, request.POST.get("comment", ""))
        elif action in _ACTIONS:
            _ACTIONS[action](request.user, opp)
        else:
            raise ValidationError({"action": _("Unknown action.")})
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
    else:
        messages.success(
            request,
            _("Done: the profile is now %s.")
            % Opportunity.objects.get(pk=pk).get_status_display().lower(),
        )
    return redirect("matching:detail", pk)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_reports(request.user):
        raise PermissionDenied
    return render(
        request, "matching/review_queue.html", {"items": queries.review_queue(request.user)}
    )


@login_required
@require_POST
def express_interest(request: HttpRequest, pk: int) -> HttpResponse:
    opp = get_object_or_404(Opportunity, pk=pk)
    form = forms.InterestForm(
        request.POST, organisations=permissions.member_organisations(request.user)
    )
    if form.is_valid():
        try:
            eoi = services.express_interest(
                request.user, opp, form.cleaned_data["organisation"], form.cleaned_data["message"]
            )
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
        else:
            messages.success(request, _("Sent. The owner will decide whether to share contacts."))
            return redirect("matching:eoi_detail", eoi.pk)
    else:
        for errs in form.errors.values():
            for err in errs:
                messages.error(request, str(err))
    return redirect("matching:detail", pk)


@login_required
def eoi_list(request: HttpRequest) -> HttpResponse:
    mine = set(permissions.member_organisations(request.user).values_list("pk", flat=True))
    rows = [
        # "received": on a profile of one of the user's organisations; "sent": by one of them
        # (both for a manager who sees the region's, neither: the column stays empty).
        {
            "eoi": e,
            "received": e.opportunity.organisation_id in mine,
            "sent": e.organisation_id in mine,
        }
        for e in queries.eois_for(request.user)
    ]
    return render(request, "matching/eoi_list.html", {"rows": rows})


@login_required
def eoi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    eoi = get_object_or_404(
        ExpressionOfInterest.objects.select_related("opportunity__organisation", "organisation"),
        pk=pk,
    )
    if not permissions.can_view_eoi(request.user, eoi):
        raise PermissionDenied
    return render(
        request,
        "matching/eoi_detail.html",
        {
            "eoi": eoi,
            "can_decide": (
                permissions.can_decide_eoi(request.user, eoi)
                and eoi.status == ExpressionOfInterest.Status.PENDING
            ),
            "contacts": queries.shared_contacts(request.user, eoi),
        },
    )


@login_required
@require_POST
def eoi_decide(request: HttpRequest, pk: int) -> HttpResponse:
    eoi = get_object_or_404(ExpressionOfInterest, pk=pk)
    try:
        services.decide_interest(request.user, eoi, accept=request.POST.get("decision") == "accept")
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
    return redirect("matching:eoi_detail", pk)


def follow_up_answer(request: HttpRequest, token: str) -> HttpResponse:
    """Answer an outcome question from the e-mailed signed link (no login needed)."""
    try:
        fu_id, user_id = tasks.read_follow_up_token(token)
    except signing.BadSignature:
        return render(request, "matching/follow_up.html", {"invalid": True}, status=400)
    fu = get_object_or_404(
        OutcomeFollowUp.objects.select_related(
            "eoi__opportunity__organisation", "eoi__organisation"
        ),
        pk=fu_id,
    )
    person = get_object_or_404(User, pk=user_id, is_active=True)
    if not permissions.can_answer_follow_up(person, fu.organisation_id):
        raise PermissionDenied
    form = forms.FollowUpForm(
        request.POST or None,
        initial={
            "meeting": fu.meeting,
            "agreement": fu.agreement,
            "joint_project": fu.joint_project,
            "comment": fu.comment,
        },
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        services.answer_follow_up(
            person,
            fu,
            c["meeting"],
            c["agreement"],
            c["joint_project"],
            c["comment"],
            via_signed_link=True,
        )
        messages.success(request, _("Thank you: your answer is recorded."))
        return redirect("matching:follow_up_answer", token)
    return render(request, "matching/follow_up.html", {"fu": fu, "form": form})


@login_required
def outcome_report(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_reports(request.user):
        raise PermissionDenied
    form = forms.PeriodForm(request.GET or None)
    start = end = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    elif form.is_bound:  # a wrong period shows its errors, not figures for another period
        return render(request, "matching/report.html", {"form": form, "report": None}, status=400)
    report = queries.outcome_report(request.user, start, end)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        header, rows = queries.outcome_report_table(report)
        period = f"{start or 'start'}_{end or timezone.localdate()}"
        if fmt == "csv":
            resp = HttpResponse(tables.to_csv(header, rows), content_type="text/csv; charset=utf-8")
        else:
            resp = HttpResponse(
                tables.to_xlsx(header, rows, "matchmaking"),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        resp["Content-Disposition"] = f'attachment; filename="matchmaking-outcomes-{period}.{fmt}"'
        return resp
    query = urlencode({k: v for k, v in (("start", start), ("end", end)) if v})
    return render(request, "matching/report.html", {"form": form, "report": report, "query": query})


def search(request: HttpRequest) -> HttpResponse:
    form = forms.SearchForm(
        request.GET or None,
        countries=queries.search_country_choices(),
        regions=queries.member_region_choices(),
    )
    results: list[Any] = []
    q = ""
    pending = False
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if q:
            data = form.cleaned_data
            filters = queries.search_filters(
                countries=[data["country"]] if data["country"] else [],
                org_types=[data["type"]] if data["type"] else [],
                kinds=[data["kind"]] if data["kind"] else [],
                regions=[data["region"]] if data["region"] else [],
            )
            try:
                results = queries.search_partners(q, limit=20, lang=get_language(), filters=filters)
            except match_index.IndexNotReady:
                pending = True
    template = (
        "matching/_search_results.html"
        if request.headers.get("HX-Request")
        else "matching/search.html"
    )
    return render(request, template, {"form": form, "results": results, "q": q, "pending": pending})


def suggested_partners(request: HttpRequest, org_id: int) -> HttpResponse:
    """The htmx fragment the directory's organisation page loads with ``hx-get``."""
    org = get_object_or_404(Organisation, pk=org_id)
    try:
        items = queries.suggested_partners(org.pk, limit=8, lang=get_language())
    except match_index.IndexNotReady:
        # The fragment polls itself until the index is ready (built in the background).
        return render(request, "matching/_suggested_partners_pending.html", {"organisation": org})
    return render(
        request, "matching/_suggested_partners.html", {"organisation": org, "suggestions": items}
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    pref = MatchingPreference.objects.filter(user_id=int(str(request.user.pk))).first()
    if request.method == "POST":
        form = forms.PreferenceForm(request.POST)
        if form.is_valid():
            services.set_digest_preference(
                request.user,  # type: ignore[arg-type]
                form.cleaned_data["weekly_digest"],
            )
            messages.success(request, _("Saved."))
            return redirect("matching:preferences")
    else:
        form = forms.PreferenceForm(initial={"weekly_digest": pref.weekly_digest if pref else True})
    return render(request, "matching/preferences.html", {"form": form})


def unsubscribe(request: HttpRequest, token: str) -> HttpResponseBase:
    """One click from the digest's link: confirm with a POST (mail scanners only GET)."""
    try:
        user_id = tasks.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "matching/unsubscribe.html", {"invalid": True}, status=400)
    user = get_object_or_404(User, pk=user_id)
    done = False
    if request.method == "POST":
        services.set_digest_preference(user, False)
        done = True
    return render(request, "matching/unsubscribe.html", {"done": done, "token": token})


def dashboard_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The member dashboard's matching panel (registered in ``MatchingConfig.ready``)."""
    import datetime as dt

    from django.utils.translation import gettext_lazy

    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    orgs = list(permissions.member_organisations(user)[:3])
    review = queries.review_queue(user)
    to_review = list(review[:5])
    if not orgs and not permissions.can_view_reports(user):
        return None
    base = {
        "title": gettext_lazy("Partner matchmaking"),
        "template": "matching/_dashboard_panel.html",
        "to_review": to_review,
        "review_count": review.count() if to_review else 0,
        "manager": permissions.can_view_reports(user),
    }
    if not orgs:  # a cluster manager acting for no organisation: the review work only
        return {
            **base,
            "suggestions": [],
            "new_matches": [],
            "follow_ups": [],
            "to_dos": [],
            "pending": False,
        }
    lang = get_language()
    to_dos = queries.editor_to_dos(user)
    follow_ups = [
        {"fu": fu, "token": tasks.follow_up_token(fu.pk, int(str(user.pk)))}
        for fu in queries.pending_follow_ups(user)[:10]
    ]
    try:
        suggestions = [
            {"organisation": o, "items": queries.suggested_partners(o.pk, limit=5, lang=lang)}
            for o in orgs
        ]
        new_matches = queries.new_matches_for_user(
            user, timezone.now() - dt.timedelta(days=14), limit=5, lang=lang
        )
        pending = False
    except match_index.IndexNotReady:
        suggestions, new_matches, pending = [], [], True
    return {
        **base,
        "suggestions": suggestions,
        "new_matches": new_matches,
        "pending": pending,
        "follow_ups": follow_ups,
        "to_dos": to_dos,
    }
