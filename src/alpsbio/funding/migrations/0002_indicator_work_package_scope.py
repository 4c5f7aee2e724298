"""Every output indicator belongs to a work package and has a scope; its source is required."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def attach_to_work_packages(apps: Any, schema_editor: Any) -> None:
    """Indicators without a work package go to the project's first one (or are dropped when
    the project has none: nothing could be reported for them anyway)."""
    indicator = apps.get_model("funding", "OutputIndicator")
    work_package = apps.get_model("funding", "WorkPackage")
    for ind in indicator.objects.filter(work_package__isnull=True):
        first = work_package.objects.filter(project_id=ind.project_id).order_by("number").first()
        if first is None:
            ind.delete()
        else:
            ind.work_package = first
            ind.save(update_fields=["work_package"])


class Migration(migrations.Migration):
    dependencies = [("funding", "0001_initial")]

    operations = [
        migrations.RunPython(attach_to_work_packages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="outputindicator",
            name="work_package",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="indicators",
                to="funding.workpackage",
                verbose_name="work package",
            ),
        ),
        migrations.AddField(
            model_name="outputindicator",
            name="scope",
            field=models.JSONField(blank=True, default=dict, verbose_name="scope"),
        ),
        migrations.AlterField(
            model_name="outputindicator",
            name="source_code",
            field=models.CharField(max_length=40, verbose_name="counted from"),
        ),
        migrations.AlterModelOptions(
            name="outputindicator",
            options={
                "ordering": ["project", "work_package__number", "code"],
                "verbose_name": "output indicator",
                "verbose_name_plural": "output indicators",
            },
        ),
    ]
