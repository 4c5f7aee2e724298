"""Pages of the funding module: thin views that parse, authorise, call a service, render."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import forms as django_forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from alpsbio.accounts.permissions import is_platform_admin
from alpsbio.directory.models import Network, Organisation
from alpsbio.funding import charts, exports, forms, queries, services
from alpsbio.funding import permissions as perms
from alpsbio.funding.indicators import KNOWN_CODES, registered_sources, source_label
from alpsbio.funding.models import (
    ExchangeRate,
    ExpenditureItem,
    FundingProject,
    PartnerReport,
    PaymentClaim,
    ProjectPartner,
    ReportStatus,
)


def _project(request: HttpRequest, pk: int) -> tuple[FundingProject, perms.Access]:
    project = get_object_or_404(FundingProject.objects.select_related("programme", "call"), pk=pk)
    access = perms.access_for(request.user, project)
    if not access.any:
        raise PermissionDenied
    return project, access


def _partner(request: HttpRequest, pk: int, partner_pk: int) -> tuple[ProjectPartner, perms.Access]:
    project, access = _project(request, pk)
    partner = get_object_or_404(
        ProjectPartner.objects.select_related("organisation", "region", "project"),
        pk=partner_pk,
        project=project,
    )
    if not access.can_view_partner(partner.pk):
        raise PermissionDenied
    return partner, access


def _set_choices(form: Any, name: str, choices: list[tuple[Any, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, django_forms.ChoiceField)
    field.choices = choices


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            for msg in msgs:
                messages.error(request, f"{field}: {msg}" if field != "__all__" else msg)
    else:
        for msg in exc.messages:
            messages.error(request, msg)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errs in form.errors.items():
        for err in errs:
            messages.error(request, f"{field}: {err}")


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Call a service; show its field errors as messages instead of a 500."""
    try:
        action()
    except ValidationError as exc:
        _errors(request, exc)
        return False
    messages.success(request, success)
    return True


# --- Projects -------------------------------------------------------------------------------


@login_required
def projects(request: HttpRequest) -> HttpResponse:
    form = forms.ProjectForm(request.POST or None)
    can_create = is_platform_admin(request.user)
    if request.method == "POST":
        if not can_create:
            raise PermissionDenied
        if form.is_valid():
            created: list[FundingProject] = []
            if _run(
                request,
                lambda: created.append(services.create_project(request.user, **form.cleaned_data)),
                _("The project was created with its reporting periods."),
            ):
                return redirect("funding:setup", pk=created[0].pk)
        else:
            _form_errors(request, form)
    rows = []
    for project in perms.visible_projects(request.user).select_related("programme"):
        rows.append({"project": project, "summary": queries.project_summary(project)})
    return render(
        request,
        "funding/projects.html",
        {"rows": rows, "form": form if can_create else None},
    )


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    project, access = _project(request, pk)
    partner_ids = None if access.sees_all else access.own | access.controlled
    tables = queries.dashboard_tables(project, partner_ids)
    sections = charts.chart_sections(tables)
    return render(
        request,
        "funding/dashboard.html",
        {
            "project": project,
            "access": access,
            "sections": sections,
            "forecast": queries.forecast(project, partner_ids, tables["period"]),
            "partners": perms.visible_partners(request.user, project),
            "funding": [
                pf
                for pf in queries.partner_funding(project)
                if access.can_view_partner(pf.partner.pk)
            ],
            "indicator_groups": queries.indicators_by_work_package(project),
            "periods": list(project.periods.all()),
            "summary": queries.project_summary(project) if access.sees_all else None,
        },
    )


def _indicator_form(data: Any = None) -> forms.IndicatorForm:
    """The indicator form with the sources and scope choices the platform offers."""
    form = forms.IndicatorForm(data)
    _set_choices(
        form,
        "source_code",
        [
            (code, source_label(code))
            for code in sorted(set(KNOWN_CODES) | set(registered_sources()))
        ],
    )
    try:
        field = apps.get_model("events", "Event")._meta.get_field("event_type")
        event_types = [(str(v), str(label)) for v, label in field.choices or []]
    except LookupError:
        event_types = []
    _set_choices(form, "event_types", event_types)
    _set_choices(form, "networks", [(n.slug, str(n)) for n in Network.objects.all()])
    try:
        surveys = [
            (s.slug, str(s)) for s in apps.get_model("survey", "Survey")._default_manager.all()
        ]
    except LookupError:
        surveys = []
    _set_choices(form, "survey", [("", "—"), *surveys])
    return form


@login_required
def setup(request: HttpRequest, pk: int) -> HttpResponse:
    project, access = _project(request, pk)
    if request.method == "POST":
        if not access.manages:
            raise PermissionDenied
        _setup_action(request, project)
        return redirect("funding:setup", pk=project.pk)
    org_q = request.GET.get("org_q", "").strip()[:100]
    return render(
        request,
        "funding/setup.html",
        {
            "project": project,
            "access": access,
            "work_packages": project.work_packages.prefetch_related("activities", "deliverables"),
            "partners": perms.visible_partners(request.user, project).prefetch_related(
                "funding_sources"
            ),
            "indicators": queries.indicators_by_work_package(
                project, queries.indicator_table(project, counted=False)
            ),
            "roles": project.roles.select_related("user", "partner__organisation")
            if access.sees_all
            else [],
            "periods": project.periods.all(),
            "wp_form": forms.WorkPackageForm(),
            "activity_form": forms.ActivityForm(),
            "indicator_form": _indicator_form() if access.manages else None,
            "partner_form": forms.PartnerForm(),
            "role_form": forms.RoleForm(),
            "registered": registered_sources(),
            "org_q": org_q,
            "org_results": queries.partner_candidates(project, org_q)
            if org_q and access.manages
            else None,
        },
    )


@login_required
def organisation_search(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx partial of the partner picker: directory organisations matching ``org_q``."""
    project, access = _project(request, pk)
    if not access.manages:
        raise PermissionDenied
    org_q = request.GET.get("org_q", "").strip()[:100]
    return render(
        request,
        "funding/_org_results.html",
        {
            "org_q": org_q,
            "org_results": queries.partner_candidates(project, org_q) if org_q else None,
        },
    )


def _setup_action(request: HttpRequest, project: FundingProject) -> None:
    action = request.POST.get("action")
    user = request.user
    if action == "work_package":
        f: Any = forms.WorkPackageForm(request.POST)
        if f.is_valid():
            _run(
                request,
                lambda: services.add_work_package(user, project, **f.cleaned_data),
                _("Work package added."),
            )
        else:
            _form_errors(request, f)
    elif action in ("activity", "deliverable"):
        f = forms.ActivityForm(request.POST)
        if f.is_valid():
            wp = get_object_or_404(project.work_packages, number=f.cleaned_data["work_package"])
            data = f.cleaned_data
            if action == "activity":
                _run(
                    request,
                    lambda: services.add_activity(user, wp, data["code"], data["title"]),
                    _("Activity added."),
                )
            else:
                _run(
                    request,
                    lambda: services.add_deliverable(
                        user, wp, data["code"], data["title"], data["due_date"]
                    ),
                    _("Deliverable added."),
                )
        else:
            _form_errors(request, f)
    elif action == "indicator":
        f = _indicator_form(request.POST)
        if f.is_valid():
            data = f.cleaned_data
            indicator_wp = project.work_packages.filter(number=data["work_package"]).first()
            if indicator_wp is None:
                messages.error(request, _("work_package: no work package with this number."))
                return
            scope = f.scope()
            _run(
                request,
                lambda: services.add_indicator(
                    user,
                    project,
                    data["code"],
                    data["name"],
                    data["target"],
                    data["source_code"],
                    indicator_wp,
                    scope,
                ),
                _("Indicator added."),
            )
        else:
            _form_errors(request, f)
    elif action == "partner":
        f = forms.PartnerForm(request.POST)
        if f.is_valid():
            data = f.cleaned_data
            org = Organisation.objects.filter(pk=data["organisation"]).first()
            if org is None:
                messages.error(request, _("organisation: no such organisation in the directory."))
                return
            currency, sources = forms.partner_funding_plan(data["scheme"], data["rate"])
            _run(
                request,
                lambda: services.add_partner(
                    user,
                    project,
                    org,
                    role=data["role"],
                    legal_status=data["legal_status"],
                    vat=data["vat"],
                    currency=currency,
                    funding_sources=sources,
                ),
                _("Partner added."),
            )
        else:
            _form_errors(request, f)
    elif action == "role":
        f = forms.RoleForm(request.POST)
        if f.is_valid():
            data = f.cleaned_data
            target = get_user_model().objects.filter(username=data["username"]).first()
            if target is None:
                messages.error(request, _("username: no such user."))
                return
            partner = (
                project.partners.filter(number=data["partner"]).first() if data["partner"] else None
            )
            try:
                services.assign_role(user, project, target, data["role"], partner)
            except ValidationError as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Role assigned."))
        else:
            _form_errors(request, f)
    else:
        messages.error(request, _("Unknown action."))


# --- Partners and budgets -------------------------------------------------------------------


@login_required
def partner_detail(request: HttpRequest, pk: int, partner_pk: int) -> HttpResponse:
    partner, access = _partner(request, pk, partner_pk)
    project = partner.project
    form = forms.BudgetChangeForm(request.POST or None)
    _set_choices(form, "work_package", [(w.pk, str(w)) for w in project.work_packages.all()])
    _set_choices(form, "period", [(p.pk, str(p)) for p in project.periods.all()])
    if request.method == "POST":
        if not access.can_edit_partner(partner.pk):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "report":
            period = get_object_or_404(project.periods, pk=request.POST.get("period"))
            _run(
                request,
                lambda: services.create_report(request.user, partner, period),
                _("Report created."),
            )
        elif form.is_valid():
            data = form.cleaned_data
            change = services.BudgetChange(
                data["work_package"], data["category"], data["period"], data["amount"]
            )
            _run(
                request,
                lambda: services.modify_budget(
                    request.user,
                    partner,
                    [change],
                    data["reason"],
                    programme_approved=data["programme_approved"],
                ),
                _("The budget was changed and a new version recorded."),
            )
        else:
            _form_errors(request, form)
        return redirect("funding:partner", pk=project.pk, partner_pk=partner.pk)
    funding = next(pf for pf in queries.partner_funding(project) if pf.partner.pk == partner.pk)
    return render(
        request,
        "funding/partner.html",
        {
            "project": project,
            "partner": partner,
            "access": access,
            "can_edit": access.can_edit_partner(partner.pk),
            "matrix": queries.budget_matrix(partner),
            "funding": funding,
            "sources": partner.funding_sources.all(),
            "reports": partner.reports.select_related("period"),
            "periods": project.periods.all(),
            "form": form,
            "versions": project.budget_versions.filter(partner=partner).select_related(
                "created_by"
            )[:20],
        },
    )


@login_required
def budget_versions(request: HttpRequest, pk: int) -> HttpResponse:
    project, access = _project(request, pk)
    versions = project.budget_versions.select_related("partner__organisation", "created_by")
    if not access.sees_all:
        versions = versions.filter(partner_id__in=access.own | access.controlled)
    rows = []
    for v in versions[:200]:
        changed = sorted(
            k for k in set(v.before) | set(v.after) if v.before.get(k) != v.after.get(k)
        )
        rows.append(
            {
                "version": v,
                "before_total": services.snapshot_total(v.before),
                "after_total": services.snapshot_total(v.after),
                "changed": [(k, v.before.get(k, "0"), v.after.get(k, "0")) for k in changed][:30],
            }
        )
    return render(request, "funding/versions.html", {"project": project, "rows": rows})


# --- Reports --------------------------------------------------------------------------------


def _report(request: HttpRequest, report_pk: int) -> tuple[PartnerReport, perms.Access]:
    report = get_object_or_404(
        PartnerReport.objects.select_related("partner__organisation", "partner__project", "period"),
        pk=report_pk,
    )
    access = perms.access_for(request.user, report.partner.project)
    if not access.can_view_partner(report.partner_id):
        raise PermissionDenied if access.any else Http404
    return report, access


@login_required
def report_detail(request: HttpRequest, report_pk: int) -> HttpResponse:
    report, access = _report(request, report_pk)
    project = report.partner.project
    item_form = forms.ExpenditureForm(request.POST or None, request.FILES or None)
    _set_choices(item_form, "work_package", [(w.pk, str(w)) for w in project.work_packages.all()])
    item_form.initial["currency"] = report.partner.currency
    if request.method == "POST":
        _report_action(request, report, item_form)
        return redirect("funding:report", report_pk=report.pk)
    items = list(report.items.select_related("work_package"))
    return render(
        request,
        "funding/report.html",
        {
            "report": report,
            "project": project,
            "partner": report.partner,
            "access": access,
            "items": items,
            "declared": sum((i.converted for i in items), queries.ZERO),
            "eligible": sum((i.eligible for i in items), queries.ZERO),
            "can_edit": access.can_edit_partner(report.partner_id)
            and report.status == ReportStatus.DRAFT,
            "can_control": access.can_control_partner(report.partner_id),
            "item_form": item_form,
        },
    )


def _report_action(request: HttpRequest, report: PartnerReport, item_form: Any) -> None:
    action = request.POST.get("action")
    user = request.user
    if action == "item":
        if item_form.is_valid():
            data = dict(item_form.cleaned_data)
            _run(
                request,
                lambda: services.add_expenditure(
                    user, report, **{"work_package_id": data.pop("work_package"), **data}
                ),
                _("Item added."),
            )
        else:
            _form_errors(request, item_form)
    elif action == "remove":
        item = get_object_or_404(ExpenditureItem, pk=request.POST.get("item"), report=report)
        _run(request, lambda: services.remove_expenditure(user, item), _("Item removed."))
    elif action == "submit":
        _run(request, lambda: services.submit_report(user, report), _("Report submitted."))
    elif action == "start_control":
        _run(request, lambda: services.start_control(user, report), _("Control started."))
    elif action == "control":
        form = forms.ControlForm(request.POST)
        if form.is_valid():
            item = get_object_or_404(ExpenditureItem, pk=form.cleaned_data["item"], report=report)
            _run(
                request,
                lambda: services.control_item(
                    user,
                    item,
                    deduction=form.cleaned_data["deduction"],
                    reason=form.cleaned_data["reason"],
                    is_ineligible=form.cleaned_data["is_ineligible"],
                ),
                _("Control recorded."),
            )
        else:
            _form_errors(request, form)
    elif action == "certify":
        _run(request, lambda: services.certify_report(user, report), _("Report certified."))
    else:
        messages.error(request, _("Unknown action."))


@login_required
def certificate(request: HttpRequest, report_pk: int) -> HttpResponse:
    report, _access = _report(request, report_pk)
    if report.status != ReportStatus.CERTIFIED:
        raise Http404
    return HttpResponse(
        exports.certificate_pdf(report),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{report.pk}.pdf"'},
    )


@login_required
def attachment(request: HttpRequest, item_pk: int) -> HttpResponse:
    """The invoice attached to an item (at most 10 MB, so it is read in one go)."""
    item = get_object_or_404(ExpenditureItem.objects.select_related("report"), pk=item_pk)
    _report(request, item.report_id)
    if not item.attachment:
        raise Http404
    with item.attachment.open("rb") as fh:
        content = fh.read()
    name = Path(item.attachment.name or "attachment").name
    return HttpResponse(
        content,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- Project reports, claims, payments ------------------------------------------------------


@login_required
def period_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    project, access = _project(request, pk)
    period = get_object_or_404(project.periods, number=number)
    form = forms.ProgressForm(request.POST or None)
    if request.method == "POST":
        if not access.manages:
            raise PermissionDenied
        if request.POST.get("action") == "claim":
            _run(
                request,
                lambda: services.create_payment_claim(request.user, period),
                _("Payment claim created."),
            )
        elif form.is_valid():
            _run(
                request,
                lambda: services.save_progress_report(
                    request.user, period, form.cleaned_data["summary"]
                ),
                _("Progress report saved."),
            )
        else:
            _form_errors(request, form)
        return redirect("funding:period", pk=project.pk, number=number)
    reports = PartnerReport.objects.filter(period=period).select_related("partner__organisation")
    if not access.sees_all:
        reports = reports.filter(partner_id__in=access.own | access.controlled)
    progress = getattr(period, "progress_report", None)
    if progress is not None:
        form = forms.ProgressForm(initial={"summary": progress.summary})
    index = period.number - 1
    indicator_groups = [
        {
            "number": group.number,
            "title": group.title,
            "rows": [
                {
                    "row": row,
                    "in_period": row.per_period[index] if index < len(row.per_period) else None,
                    "to_date": row.to_date(index),
                }
                for row in group.rows
            ],
        }
        for group in queries.indicators_by_work_package(project)
    ]
    return render(
        request,
        "funding/period.html",
        {
            "project": project,
            "period": period,
            "access": access,
            "reports": reports,
            "progress": progress,
            "form": form,
            "claim": period.claims.first(),
            "indicator_groups": indicator_groups,
        },
    )


@login_required
def claims(request: HttpRequest, pk: int) -> HttpResponse:
    project, access = _project(request, pk)
    if not access.sees_all:
        raise PermissionDenied
    if request.method == "POST":
        if not access.manages:
            raise PermissionDenied
        form = forms.PaymentForm(request.POST)
        if form.is_valid():
            claim = get_object_or_404(PaymentClaim, pk=form.cleaned_data["claim"], project=project)
            _run(
                request,
                lambda: services.record_payment(
                    request.user,
                    claim,
                    form.cleaned_data["amount"],
                    form.cleaned_data["received_on"],
                ),
                _("Payment recorded and passed on to the partners."),
            )
        else:
            _form_errors(request, form)
        return redirect("funding:claims", pk=project.pk)
    partners = {p.pk: p for p in project.partners.select_related("organisation")}
    rows = []
    for claim in project.claims.select_related("period").prefetch_related("payments__transfers"):
        rows.append(
            {
                "claim": claim,
                "shares": [(partners[int(k)], v) for k, v in claim.per_partner.items()],
                "payments": [
                    (pay, [(partners[t.partner_id], t.amount) for t in pay.transfers.all()])
                    for pay in claim.payments.all()
                ],
                "form": forms.PaymentForm(initial={"claim": claim.pk}),
            }
        )
    return render(
        request, "funding/claims.html", {"project": project, "access": access, "rows": rows}
    )


# --- Exports and audit ----------------------------------------------------------------------


def _export_scope(request: HttpRequest, pk: int) -> tuple[FundingProject, Any]:
    project, access = _project(request, pk)
    return project, (None if access.sees_all else access.own | access.controlled)


@login_required
def export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    project, scope = _export_scope(request, pk)
    return HttpResponse(
        exports.to_csv(project, scope),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="funding-{project.pk}.csv"'},
    )


@login_required
def export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    project, scope = _export_scope(request, pk)
    return HttpResponse(
        exports.to_xlsx(project, scope),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="funding-{project.pk}.xlsx"'},
    )


@login_required
def export_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    project, scope = _export_scope(request, pk)
    return HttpResponse(
        exports.report_pdf(project, scope),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="funding-{project.pk}.pdf"'},
    )


@login_required
def export_indicators_csv(request: HttpRequest, pk: int) -> HttpResponse:
    project, _access = _project(request, pk)
    return HttpResponse(
        exports.indicators_csv(project),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="indicators-{project.pk}.csv"'},
    )


@login_required
def audit_log(request: HttpRequest, pk: int) -> HttpResponse:
    project, access = _project(request, pk)
    if not access.sees_all:
        raise PermissionDenied
    return render(
        request,
        "funding/audit.html",
        {"project": project, "entries": queries.audit_trail(project)},
    )


# --- Exchange rates -------------------------------------------------------------------------


@login_required
def rates(request: HttpRequest) -> HttpResponse:
    can_import = perms.can_import_rates(request.user)
    form = forms.RatesForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                messages.error(request, _("file: the CSV must be UTF-8 text."))
            else:
                _run(
                    request,
                    lambda: services.import_exchange_rates(
                        request.user, text, form.cleaned_data["source"] or upload.name
                    ),
                    _("Exchange rates imported."),
                )
        else:
            _form_errors(request, form)
        return redirect("funding:rates")
    return render(
        request,
        "funding/rates.html",
        {"rates": ExchangeRate.objects.all()[:240], "form": form if can_import else None},
    )
