from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alpsbio.accounts import invitations, permissions, services
from alpsbio.accounts.forms import AccessRequestForm, InvitationForm, SignUpForm
from alpsbio.accounts.models import (
    AccessInvitation,
    AccessRequest,
    ApiToken,
    OrganisationRole,
    User,
)
from alpsbio.core import personal_data
from alpsbio.core.forms import attach_service_errors
from alpsbio.directory.models import Organisation


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


# A regional manager may edit a thousand organisations: the dashboard lists the first ones and
# links to the directory of each managed region for the rest.
DASHBOARD_ORGANISATIONS = 50


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from alpsbio.core.dashboard import dashboard_panels

    user = request.user
    assert isinstance(user, User)  # login_required
    editable = permissions.editable_organisations(request.user)
    context = {
        "organisations": editable.select_related("nuts2").order_by("legal_name")[
            :DASHBOARD_ORGANISATIONS
        ],
        "n_organisations": editable.count(),
        "roles": user.organisation_roles.select_related("organisation"),
        "managed_regions": user.managed_regions.select_related("region"),
        "is_manager": permissions.is_cluster_manager(request.user),
        "panels": dashboard_panels(request),
    }
    return render(request, "accounts/dashboard.html", context)


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    new_key = None
    if request.method == "POST":
        name = (request.POST.get("name") or "").strip()[:100]
        if not name:
            messages.error(request, _("Give the token a name, e.g. the script that will use it."))
        else:
            _token, new_key = services.issue_api_token(request.user, name)  # type: ignore[arg-type]
    tokens = ApiToken.objects.filter(user_id=int(request.user.pk or 0)).order_by("-created_at")
    return render(request, "accounts/api_tokens.html", {"tokens": tokens, "new_key": new_key})


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token, request.user)
    messages.success(request, _("The token was revoked."))
    return redirect("accounts:api_tokens")


# --- Who acts for an organisation, and invitations ---------------------------------------------


def _manageable_org(request: HttpRequest, org_id: int) -> Organisation:
    org = get_object_or_404(Organisation, pk=org_id)
    if not invitations.can_manage_access(request.user, org):
        raise PermissionDenied
    return org


@login_required
def organisation_access(request: HttpRequest, org_id: int) -> HttpResponse:
    """The people who act for an organisation, the pending invitations, and a form to invite."""
    org = _manageable_org(request, org_id)
    form = InvitationForm(request.POST or None, initial={"language": get_language() or "en"})
    if request.method == "POST" and form.is_valid():
        try:
            inv = invitations.invite(
                org,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                actor=request.user,
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s. The link is valid for %(days)s days.")
                % {"email": inv.email, "days": invitations.VALID_DAYS},
            )
            return redirect("accounts:organisation_access", org_id=org.pk)
    context = {
        "org": org,
        "access": invitations.access_of(org),
        "form": form,
        "now": timezone.now(),
        "valid_days": invitations.VALID_DAYS,
    }
    return render(request, "accounts/organisation_access.html", context)


@login_required
@require_POST
def cancel_invitation(request: HttpRequest, org_id: int, pk: int) -> HttpResponse:
    org = _manageable_org(request, org_id)
    inv = get_object_or_404(AccessInvitation, pk=pk, organisation=org, accepted_at__isnull=True)
    invitations.cancel(inv, request.user)
    messages.success(request, _("The invitation was withdrawn; its link no longer works."))
    return redirect("accounts:organisation_access", org_id=org.pk)


@login_required
@require_POST
def change_organisation_role(request: HttpRequest, org_id: int, user_id: int) -> HttpResponse:
    org = _manageable_org(request, org_id)
    grant = get_object_or_404(OrganisationRole, organisation=org, user_id=user_id)
    action = request.POST.get("role", "")
    if action == "remove":
        invitations.remove_role(grant, request.user)
        messages.success(
            request,
            _("%(name)s no longer acts for this organisation.")
            % {"name": grant.user.get_full_name() or grant.user.username},
        )
    else:
        try:
            invitations.change_role(grant, action, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The role was changed."))
    if not invitations.can_manage_access(request.user, org):
        return redirect("directory:detail", pk=org.pk)  # one gave up one's own editor role
    return redirect("accounts:organisation_access", org_id=org.pk)


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Where an invitation's link lands: sign up, log in, or accept, depending on who comes."""
    try:
        inv = invitations.read_token(token)
    except invitations.InvitationError as exc:
        return render(request, "accounts/invitation.html", {"error": str(exc)}, status=410)
    existing = invitations.account_for(inv)
    user = request.user
    signed_in = bool(user.is_authenticated)
    form = None
    if not signed_in and existing is None:
        form = SignUpForm(request.POST or None)
        form.instance.email = inv.email  # lets the password validators compare with it
    if request.method == "POST":
        accepted = False
        try:
            if signed_in:
                assert isinstance(user, User)
                invitations.accept(inv, user)
                accepted = True
            elif form is not None and form.is_valid():
                new_user = form.save(commit=False)
                invitations.register_and_accept(inv, new_user)
                login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
                accepted = True
        except invitations.InvitationError as exc:
            messages.error(request, str(exc))
        except IntegrityError:  # the username was taken between the form's check and the save
            assert form is not None
            form.add_error("username", _("A user with that username already exists."))
        if accepted:
            messages.success(
                request, _("You now act for %(org)s.") % {"org": inv.organisation.display_name}
            )
            return redirect("directory:detail", pk=inv.organisation_id)
    context = {
        "inv": inv,
        "form": form,
        "existing": existing,
        "wrong_account": signed_in
        and invitations.normalise_email(getattr(user, "email", "")) != inv.email,
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}",
    }
    return render(request, "accounts/invitation.html", context)


# --- A person's own data ------------------------------------------------------------------------


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """What the platform keeps about the user, a copy to download, and closing the account."""
    user = request.user
    assert isinstance(user, User)  # login_required
    error = ""
    if request.method == "POST":
        if not user.check_password(request.POST.get("password", "")):
            error = _("The password is not right: the account was not deleted.")
        else:
            try:
                personal_data.erase(user)
            except personal_data.ErasureRefused as exc:
                error = str(exc)
            else:
                logout(request)
                messages.success(
                    request,
                    _("Your account was deleted: your name, address and log-in are gone."),
                )
                return redirect("portal:home")
    return render(request, "accounts/my_data.html", {"error": error}, status=400 if error else 200)


@login_required
def my_data_export(request: HttpRequest) -> HttpResponse:
    data = personal_data.export(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="alpsbio-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


def request_access(request: HttpRequest, org_id: int) -> HttpResponse:
    """Anyone may ask to act for an organisation; its editors and cluster managers decide."""
    org = get_object_or_404(Organisation, pk=org_id, is_active=True)
    user = request.user
    if user.is_authenticated and (
        permissions.organisation_role(user, org) or invitations.can_manage_access(user, org)
    ):
        messages.info(request, _("You already act for this organisation."))
        return redirect("directory:detail", pk=org.pk)
    initial = {}
    if user.is_authenticated:
        initial = {"name": user.get_full_name() or user.get_username(), "email": user.email}
    form = AccessRequestForm(request.POST or None, initial=initial)
    if user.is_authenticated:
        form.fields["email"].disabled = True  # one asks with one's account's address
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["website"]:  # a bot: answer as for a person, keep nothing
            return redirect("directory:detail", pk=org.pk)
        try:
            invitations.request_access(
                org,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                message=form.cleaned_data["message"],
                language=get_language() or "en",
                user=user,
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your request was sent to the organisation's editors and its cluster "
                    "manager. You will receive an invitation by e-mail if they accept it."
                ),
            )
            return redirect("directory:detail", pk=org.pk)
    return render(request, "accounts/request_access.html", {"org": org, "form": form})


@login_required
@require_POST
def answer_access_request(request: HttpRequest, org_id: int, pk: int) -> HttpResponse:
    org = _manageable_org(request, org_id)
    req = get_object_or_404(AccessRequest, pk=pk, organisation=org)
    accept = request.POST.get("answer") == "invite"
    try:
        inv = invitations.answer_request(req, request.user, accept)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if inv is not None:
            messages.success(
                request,
                _("An invitation was sent to %(email)s. The link is valid for %(days)s days.")
                % {"email": inv.email, "days": invitations.VALID_DAYS},
            )
        else:
            messages.success(request, _("The request was declined and deleted."))
    return redirect("accounts:organisation_access", org_id=org.pk)
