"""The stored result of the territorial analysis (one row per member-region set).

The analysis over all regions, sectors and the collaboration network takes seconds; pages, the
API and the PDF report read the last stored result instead (``alpsbio.survey.analysis_cache``).
A row survives restarts and is shared by every web and worker process. ``fingerprint`` is the
data version the result was computed from; when the data changes, the row is recomputed in the
background (``alpsbio.survey.analysis_tasks``) and the old result is shown meanwhile, with a
note.

``payload`` is the zlib-compressed pickle of ``queries.Analysis`` (pandas tables, dataclasses).
It is written only by the platform's own code from its own database, never from user input;
a payload of an older ``format`` or one that cannot be read is treated as absent.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AnalysisSnapshot(models.Model):
    key = models.CharField(_("member regions"), max_length=200, unique=True)
    fingerprint = models.CharField(_("data version"), max_length=64)
    format = models.PositiveSmallIntegerField(default=1)
    payload = models.BinaryField()
    computed_at = models.DateTimeField(_("computed at"))
    seconds = models.FloatField(_("computing time (s)"), default=0.0)
    size = models.PositiveIntegerField(_("stored size (bytes)"), default=0)
    # A recomputation asked for a newer data version (background task enqueued at that time).
    requested_fingerprint = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stored analysis")
        verbose_name_plural = _("stored analyses")

    def __str__(self) -> str:
        return f"{self.key} @ {self.fingerprint}"
