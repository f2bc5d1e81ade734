import django.utils.timezone
from django.db import migrations, models


def heartbeat_from_start(apps, schema_editor):
    """An export being built during the upgrade keeps its claim: its heartbeat is when it started."""
    ReportExport = apps.get_model("reports", "ReportExport")
    ReportExport.objects.filter(state="running").update(heartbeat_at=models.F("claimed_at"), attempts=1)


class Migration(migrations.Migration):
    """Report exports become job rows (config/jobs.py): their start is the claim, their error the last error."""

    dependencies = [
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="reportexport", old_name="started_at", new_name="claimed_at"),
        migrations.RenameField(model_name="reportexport", old_name="error", new_name="last_error"),
        migrations.AlterField(
            model_name="reportexport",
            name="claimed_at",
            field=models.DateTimeField(blank=True, help_text="When the current run started.", null=True),
        ),
        migrations.AddField(
            model_name="reportexport",
            name="attempts",
            field=models.PositiveIntegerField(default=0, help_text="Runs started."),
        ),
        migrations.AddField(
            model_name="reportexport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, help_text="Last sign of life of the current run.", null=True),
        ),
        migrations.AddField(
            model_name="reportexport",
            name="next_attempt_at",
            field=models.DateTimeField(default=django.utils.timezone.now, help_text="When a pending job is due."),
        ),
        migrations.RunPython(heartbeat_from_start, migrations.RunPython.noop),
    ]
