"""Directory pages: search with facets, organisation, region and network pages, back office."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alpsbio.accounts import invitations, permissions
from alpsbio.core.forms import attach_service_errors
from alpsbio.core.i18n import localized
from alpsbio.directory import call_topics, queries, services
from alpsbio.directory.forms import ImportUploadForm, MergeForm, OrganisationForm
from alpsbio.directory.maps import Shape, render_locator_svg
from alpsbio.directory.models import (
    ImportRun,
    MergeRecord,
    NaceCode,
    Network,
    Organisation,
    OrganisationType,
    Region,
    Sector,
    ValidationStatus,
)
from alpsbio.directory.search import SORTS, SearchFilters, search_organisations

PER_PAGE = 20


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value or default)))
    except ValueError:
        return default


def filters_from_request(request: HttpRequest) -> SearchFilters:
    get = request.GET
    return SearchFilters(
        region=[v.strip().upper() for v in get.getlist("region") if v.strip()][:20],
        country=[v.strip().upper()[:2] for v in get.getlist("country") if v.strip()][:10],
        type=[v for v in get.getlist("type") if v in OrganisationType.values][:10],
        sector=[v.strip() for v in get.getlist("sector") if v.strip()][:20],
        nace=[v.strip() for v in get.getlist("nace") if v.strip()][:20],
        network=[v.strip() for v in get.getlist("network") if v.strip()][:5],
        validated_only=get.get("validated") == "1",
        member_regions_only=get.get("members") == "1",
    )


def _facet_labels() -> dict[str, dict[str, str]]:
    return {
        "type": {str(k): str(v) for k, v in OrganisationType.choices},
        "sector": {s.slug: str(s) for s in Sector.objects.all()},
        "network": {n.slug: str(n) for n in Network.objects.all()},
    }


def organisation_list(request: HttpRequest) -> HttpResponse:
    text = (request.GET.get("q") or "").strip()[:200]
    sort = request.GET.get("sort") or ("relevance" if text else "projects")
    if sort not in SORTS:
        sort = "relevance"
    page = _int(request.GET.get("page"), 1, 1, 10_000)
    filters = filters_from_request(request)
    result = search_organisations(text, filters, sort=sort, page=page, per_page=PER_PAGE)
    labels = _facet_labels()
    region_codes = [f.value for f in result.facets.get("region", [])]
    region_names = {r.code: r.display_name for r in Region.objects.filter(code__in=region_codes)}
    nace_codes = [f.value for f in result.facets.get("nace", [])]
    labels["region"] = {c: f"{c} {n}" for c, n in region_names.items()}
    labels["nace"] = {
        n.code: f"{n.code} {n.label}" for n in NaceCode.objects.filter(code__in=nace_codes)
    }
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "q": text,
        "sort": sort,
        "sorts": [
            ("relevance", _("Relevance")),
            ("name", _("Name A–Z")),
            ("-name", _("Name Z–A")),
            ("projects", _("Most EU projects")),
            ("newest", _("Newest")),
        ],
        "result": result,
        "facet_titles": {
            "region": _("Region"),
            "country": _("Country"),
            "type": _("Type"),
            "sector": _("Sector"),
            "nace": _("NACE code"),
            "network": _("Thematic network"),
        },
        "labels": labels,
        "querystring": query.urlencode(),
        "filters": filters,
    }
    template = (
        "directory/_results.html" if request.headers.get("HX-Request") else "directory/list.html"
    )
    return render(request, template, context)


def _org_map(org: Organisation) -> str:
    region = org.nuts2 or (org.nuts3.parent if org.nuts3 else None)
    if region is None or not region.geometry:
        return ""
    shapes = []
    if region.parent_id:
        siblings = Region.objects.filter(parent_id=region.parent_id).exclude(geometry=None)
        shapes = [Shape(r.code, r.display_name, r.geometry, r.pk == region.pk) for r in siblings]
    if not shapes:
        shapes = [Shape(region.code, region.display_name, region.geometry, True)]
    pin = (
        (org.latitude, org.longitude)
        if org.latitude is not None and org.longitude is not None
        else None
    )
    return render_locator_svg(shapes, pin, title=f"{org.display_name}: {region.display_name}")


def _optional_url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(
        Organisation.objects.select_related("nuts2", "nuts3", "nuts2__parent"), pk=pk
    )
    if not org.is_active and not permissions.can_edit_organisation(request.user, org):
        raise Http404
    participations = list(queries.organisation_projects(org)[:200])
    for part in participations:  # what the call's code means, where the reference knows it
        part.project.topic_title = call_topics.title_of(part.project.topic) or ""  # type: ignore[attr-defined]
    can_manage_access = invitations.can_manage_access(request.user, org)
    people = [
        (p, permissions.visible_person_fields(request.user, p))
        for p in org.people.all().order_by("last_name")
    ]
    context = {
        "org": org,
        "participations": participations,
        "partners": queries.partners_of(org),
        "memberships": org.network_memberships.select_related("network"),
        "people": people,
        "map_svg": _org_map(org),
        "can_edit": permissions.can_edit_organisation(request.user, org),
        "can_validate": permissions.can_validate_organisation(request.user, org),
        "can_manage_access": can_manage_access,
        "may_request_access": org.is_active
        and not can_manage_access
        and not permissions.organisation_role(request.user, org),
        "suggested_url": _optional_url("matching:suggested_partners", org.pk),
        "nace_codes": org.nace_codes.all(),
        "sectors": org.sectors.all(),
    }
    return render(request, "directory/detail.html", context)


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation, pk=pk)
    if not permissions.can_edit_organisation(request.user, org):
        raise PermissionDenied
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(org, form.changes(), actor=request.user)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("The profile was saved."))
            return redirect("directory:detail", pk=org.pk)
    form.instance = Organisation.objects.get(pk=org.pk)  # forget unsaved edits on error
    return render(request, "directory/edit.html", {"form": form, "org": org})


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_organisation(request.user):
        raise PermissionDenied
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_organisation(form.changes(), actor=request.user)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("The organisation was created."))
            return redirect("directory:detail", pk=org.pk)
    return render(request, "directory/edit.html", {"form": form, "org": None})


@login_required
@require_POST
def organisation_validate(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_object_or_404(Organisation, pk=pk)
    if not permissions.can_validate_organisation(request.user, org):
        raise PermissionDenied
    status = request.POST.get("status", ValidationStatus.VALIDATED)
    if status not in ValidationStatus.values:
        messages.error(request, _("Unknown validation status."))
    else:
        services.validate_organisation(org, actor=request.user, status=status)
        messages.success(request, _("Validation status updated."))
    if request.headers.get("HX-Request"):
        org.refresh_from_db()
        return render(request, "directory/_validation_row.html", {"org": org})
    # Back to the page the manager came from, but only on this site: anything else (another
    # host, a bare word) would be an open redirect or a failed reverse().
    back = request.POST.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("directory:detail", args=[org.pk])
    return redirect(back)


def region_index(request: HttpRequest) -> HttpResponse:
    members = list(queries.member_regions())
    counts = {r.code: queries.organisations_in_region(r).count() for r in members}
    countries = Region.objects.filter(level=0).order_by("code")
    return render(
        request,
        "directory/regions.html",
        {"members": [(r, counts[r.code]) for r in members], "countries": countries},
    )


def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = queries.region_for_code(code)
    if region is None:
        from alpsbio.directory.regions import resolve_region_code

        resolved = resolve_region_code(code)
        if resolved is None:
            raise Http404
        return redirect("directory:region", code=resolved.code, permanent=True)
    summary = queries.region_summary(region)
    type_labels = dict(OrganisationType.choices)
    for row in summary["by_type"]:
        row["label"] = type_labels.get(row["org_type"], row["org_type"])
    for row in summary["by_sector"]:
        row["label"] = localized(row["sectors__name"]) or row["sectors__slug"]
    shapes = []
    if region.geometry:
        neighbours = (
            Region.objects.filter(parent_id=region.parent_id).exclude(geometry=None)
            if region.parent_id
            else Region.objects.none()
        )
        shapes = [Shape(r.code, r.display_name, r.geometry, r.pk == region.pk) for r in neighbours]
        if not shapes:
            shapes = [Shape(region.code, region.display_name, region.geometry, True)]
    children = region.children.order_by("code")
    context = {
        "region": region,
        "summary": summary,
        "children": children,
        "ancestors": _ancestors(region),
        "map_svg": render_locator_svg(shapes, title=region.display_name) if shapes else "",
        "max_type": max([r["n"] for r in summary["by_type"]] or [1]),
        # The territorial analysis profiles NUTS-2 regions only; elsewhere the link was a 404.
        "analysis_url": _optional_url("survey:region", region.code) if region.level == 2 else None,
    }
    return render(request, "directory/region.html", context)


def _ancestors(region: Region) -> list[Region]:
    chain = []
    node = region.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def network_index(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/networks.html", {"networks": queries.networks_with_counts()})


def network_detail(request: HttpRequest, slug: str) -> HttpResponse:
    network = get_object_or_404(Network, slug=slug)
    memberships = network.memberships.select_related(
        "organisation", "organisation__nuts2"
    ).order_by("organisation__legal_name")
    return render(
        request, "directory/network.html", {"network": network, "memberships": memberships}
    )


# --- back office -----------------------------------------------------------------------------


def _require_manager(request: HttpRequest) -> None:
    if not permissions.is_cluster_manager(request.user):
        raise PermissionDenied


@login_required
def backoffice(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    managed = Organisation.objects.filter(permissions.managed_organisations_filter(request.user))
    pending = managed.filter(validation_status=ValidationStatus.PENDING).select_related("nuts2")
    q = (request.GET.get("q") or "").strip()
    if q:
        pending = pending.filter(Q(legal_name__icontains=q) | Q(city__icontains=q))
    context = {
        "pending": pending.order_by("-n_projects", "legal_name")[:100],
        "pending_total": pending.count(),
        "imports": ImportRun.objects.all()[:15],
        "merges": MergeRecord.objects.select_related("kept")[:15],
        "q": q,
    }
    return render(request, "directory/backoffice.html", context)


@login_required
def merge(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = MergeForm(request.POST or request.GET or None)
    preview: dict[str, Organisation] | None = None
    if form.is_bound and form.is_valid():
        kept = Organisation.objects.filter(pk=form.cleaned_data["kept"]).first()
        absorbed = Organisation.objects.filter(pk=form.cleaned_data["absorbed"]).first()
        if kept is None or absorbed is None:
            form.add_error(None, _("No organisation with this ID."))
        elif not permissions.can_merge_organisations(request.user, kept, absorbed):
            raise PermissionDenied
        elif request.method == "POST" and request.POST.get("confirm") == "1":
            services.merge_organisations(
                kept, absorbed, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("The two records are now one."))
            return redirect("directory:detail", pk=kept.pk)
        else:
            preview = {"kept": kept, "absorbed": absorbed}
    return render(request, "directory/merge.html", {"form": form, "preview": preview})


def _target_label(field: str) -> str:
    """A readable, translated label for a field of the member-list import."""
    from alpsbio.directory.forms import LANG_NAMES

    prefix, _sep, lang = field.rpartition("_")
    if prefix == "name" and lang in LANG_NAMES:
        return _("Name in %(lang)s") % {"lang": LANG_NAMES[lang]}
    if prefix == "description" and lang in LANG_NAMES:
        return _("Competences in %(lang)s") % {"lang": LANG_NAMES[lang]}
    if field == "nace_codes":
        return _("NACE Rev.2 codes")
    if field == "sectors":
        return _("Sectors")
    if field == "contact_email":
        return _("Contact e-mail (invited as the organisation's editor)")
    try:
        model_field = Organisation._meta.get_field(field)
    except Exception:  # a field of the file format only
        return field
    return str(getattr(model_field, "verbose_name", field)).capitalize()


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1 of the member-list import: upload; step 2 maps columns; step 3 imports."""
    _require_manager(request)
    from alpsbio.directory.importers import member_list

    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = member_list.stage_upload(upload, actor=request.user)
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            return redirect("directory:import_map", token=staged)
    return render(request, "directory/import_upload.html", {"form": form})


@login_required
def import_map(request: HttpRequest, token: str) -> HttpResponse:
    _require_manager(request)
    from alpsbio.directory.importers import member_list

    try:
        preview = member_list.staged_preview(token, actor=request.user)
    except (FileNotFoundError, ValidationError) as exc:
        raise Http404 from exc
    result = None
    mapping = {f: request.POST.get(f"map_{f}", "") for f in member_list.TARGET_FIELDS}
    if request.method == "POST":
        mapping = {k: v for k, v in mapping.items() if v}
        result = member_list.import_staged(
            token,
            mapping,
            actor=request.user,
            dry_run=request.POST.get("dry_run") == "1",
            language=get_language() or "en",
        )
        if result.ok and not result.dry_run:
            messages.success(request, _("Imported: %(stats)s") % {"stats": result.summary})
            for note in result.warnings[:20]:
                messages.warning(request, str(note))
            return redirect("directory:backoffice")
    else:
        mapping = member_list.guess_mapping(preview.headers)
    context = {
        "preview": preview,
        "mapping": mapping,
        "targets": [(f, _target_label(f)) for f in member_list.TARGET_FIELDS],
        "required": member_list.REQUIRED_FIELDS,
        "result": result,
        "token": token,
    }
    return render(request, "directory/import_map.html", context)
