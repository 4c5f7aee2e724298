from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alpsbio.accounts import permissions, services
from alpsbio.accounts.models import ApiToken, User


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
