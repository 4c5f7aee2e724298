"""Background work of the survey app (django-tasks): e-mails to invited organisations.

Tasks take IDs and call services; they are enqueued with ``transaction.on_commit``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from alpsbio.survey import services
from alpsbio.survey.models import Survey


@task()
def send_invitations(invitation_ids: list[int]) -> int:
    """Send the first e-mail of each invitation (skips those sent already)."""
    return services.send_invitation_emails(invitation_ids)


@task()
def send_survey_reminders(survey_id: int, actor_id: int | None = None) -> int:
    """Remind the organisations that have not answered, in their language."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return 0
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return services.send_reminders(survey, actor=actor)


@task()
def send_all_due_reminders() -> int:
    """For a daily schedule (cron: ``alpsbio survey_reminders``)."""
    return sum(services.send_reminders(s) for s in Survey.objects.filter(status=Survey.Status.OPEN))
