import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = ("auditevent",)


def move_content_types(apps, schema_editor):
    """Keep the content types, so admin history and granted permissions follow the models."""
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not content_types.filter(app_label="audit", model=model).exists():
            content_types.filter(app_label="sessions_app", model=model).update(app_label="audit")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not content_types.filter(app_label="sessions_app", model=model).exists():
            content_types.filter(app_label="audit", model=model).update(app_label="sessions_app")


class Migration(migrations.Migration):
    """The audit log, moved here from sessions_app with its rows."""

    initial = True

    dependencies = [
        ("sessions_app", "0002_move_auditevent"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist already: sessions_app's migration renamed them.
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("login_succeeded", "Login succeeded"),
                                    ("login_failed", "Login failed"),
                                    ("logout", "Logout"),
                                    ("logout_all", "Logout everywhere"),
                                    ("refresh_reuse", "Refresh token reuse"),
                                    ("password_changed", "Password changed"),
                                    ("password_reset_requested", "Password reset requested"),
                                    ("password_reset", "Password reset"),
                                    ("session_revoked", "Session revoked by its owner"),
                                    ("session_revoked_by_admin", "Session revoked by an administrator"),
                                    ("user_deactivated", "User deactivated"),
                                    ("rate_limited", "Rate limited"),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("session_id", models.UUIDField(blank=True, null=True)),
                        (
                            "identifier",
                            models.CharField(
                                blank=True, help_text="The email or username tried, on failures.", max_length=254
                            ),
                        ),
                        ("ip", models.GenericIPAddressField(blank=True, null=True)),
                        ("user_agent", models.CharField(blank=True, max_length=512)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                help_text="Who acted, when not the user themself (an administrator).",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="audit_events",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(fields=["user", "-created_at"], name="audit_user_created_idx"),
                            models.Index(fields=["kind", "-created_at"], name="audit_kind_created_idx"),
                            models.Index(fields=["-created_at"], name="audit_created_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=True),
    ]
