"""Background work of the accounts app (django-tasks): tasks take IDs and load in the worker."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from alpsbio.accounts import invitations
from alpsbio.accounts.models import AccessInvitation, AccessRequest
from alpsbio.core.i18n import language
from alpsbio.core.links import absolute

logger = logging.getLogger("alpsbio.accounts")


@task()
def send_access_invitation(invitation_id: int) -> bool:
    """E-mail an invitation's link in the language the inviter chose; False if it is gone."""
    inv = (
        AccessInvitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if inv is None:
        return False
    with language(inv.language):
        url = absolute(reverse("accounts:invitation", args=[invitations.token_for(inv)]))
        ctx = {"inv": inv, "url": url, "days": invitations.VALID_DAYS}
        subject = render_to_string("accounts/email/access_invitation_subject.txt", ctx).strip()
        body = render_to_string("accounts/email/access_invitation_body.txt", ctx)
    send_mail(subject, body, None, [inv.email])
    AccessInvitation.objects.filter(pk=inv.pk).update(sent_at=timezone.now())
    logger.info("access invitation %s sent", inv.pk)
    return True


@task()
def notify_access_request(request_id: int) -> int:
    """Tell the organisation's editors and cluster managers, each in their language."""
    req = AccessRequest.objects.select_related("organisation").filter(pk=request_id).first()
    if req is None:
        return 0
    url = reverse("accounts:organisation_access", args=[req.organisation_id])
    sent = 0
    for person in invitations.people_to_tell(req.organisation):
        if not person.email:
            continue
        with language(person.preferred_language or "en"):
            ctx = {"req": req, "url": absolute(url), "person": person}
            subject = render_to_string("accounts/email/access_request_subject.txt", ctx).strip()
            body = render_to_string("accounts/email/access_request_body.txt", ctx)
        send_mail(subject, body, None, [person.email])
        sent += 1
    logger.info("access request %s: %s people told", req.pk, sent)
    return sent
