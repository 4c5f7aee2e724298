from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from alpsbio.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset_form.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("", views.dashboard, name="dashboard"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.revoke_api_token, name="revoke_api_token"),
    path("organisations/<int:org_id>/", views.organisation_access, name="organisation_access"),
    path(
        "organisations/<int:org_id>/invitations/<int:pk>/cancel/",
        views.cancel_invitation,
        name="cancel_invitation",
    ),
    path(
        "organisations/<int:org_id>/people/<int:user_id>/",
        views.change_organisation_role,
        name="change_organisation_role",
    ),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path(
        "organisations/<int:org_id>/request-access/",
        views.request_access,
        name="request_access",
    ),
    path(
        "organisations/<int:org_id>/requests/<int:pk>/",
        views.answer_access_request,
        name="answer_access_request",
    ),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/export/", views.my_data_export, name="my_data_export"),
]
