"""Error pages: in the site's layout and the reader's language, saying what to do next."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.template.loader import render_to_string
from django.test import Client


@pytest.mark.django_db
def test_not_found_is_a_page_of_the_site_in_the_readers_language() -> None:
    resp = Client().get("/fr/cette-page-nexiste-pas/")
    assert resp.status_code == 404
    body = resp.content.decode()
    assert '<html lang="fr">' in body
    assert "Page introuvable" in body
    assert 'href="/fr/directory/"' in body  # the way on: the directory


@pytest.mark.django_db
def test_forbidden_says_how_to_get_access(client_for: Callable[[str], Client]) -> None:
    # An account that acts for no organisation may not write a partnering profile.
    resp = client_for("outsider").get("/de/opportunities/new/")
    assert resp.status_code == 403
    body = resp.content.decode()
    assert '<html lang="de">' in body
    assert "Nicht erlaubt" in body
    assert "Arbeiten Sie hier?" in body


@pytest.mark.django_db
def test_server_error_page_needs_no_context() -> None:
    # Django renders 500.html without a request or context processors: it must stand alone.
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert 'lang="de"' in html


@pytest.mark.django_db
def test_a_stale_form_says_what_happened() -> None:
    resp = Client(enforce_csrf_checks=True).post(
        "/it/accounts/login/", {"username": "x", "password": "y"}
    )
    assert resp.status_code == 403
    body = resp.content.decode()
    assert '<html lang="it">' in body
    assert "Il modulo non è stato inviato" in body
