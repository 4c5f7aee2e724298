"""API authentication: personal bearer tokens, or the browser session (with CSRF) for pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from alpsbio.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            api_token = ApiToken.objects.select_related("user").get(
                key_hash=ApiToken.hash_key(token)
            )
        except ApiToken.DoesNotExist:
            return None
        if not api_token.user.is_active:
            return None
        now = timezone.now()
        # Touch at most once a minute so reads do not turn into writes on every call.
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


class OptionalTokenAuth(TokenAuth):
    """For public reads: a token (if any) identifies the caller, none means anonymous."""

    def __call__(self, request: HttpRequest) -> Any:
        result = super().__call__(request)
        return result if result is not None else True


token_auth = TokenAuth()
session_auth = SessionAuth(csrf=True)
# Writes accept a token or a signed-in session (the session path enforces CSRF).
write_auth = [token_auth, session_auth]
read_auth = [token_auth, session_auth, OptionalTokenAuth()]
