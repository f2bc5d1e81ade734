import django.core.serializers.json
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


MODELS = ("notification", "notificationdelivery")


def move_content_types(apps, schema_editor):
    """Keep the content types, so admin history and granted permissions follow the models."""
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not content_types.filter(app_label="notifications", model=model).exists():
            content_types.filter(app_label="accounts", model=model).update(app_label="notifications")


def move_content_types_back(apps, schema_editor):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not content_types.filter(app_label="accounts", model=model).exists():
            content_types.filter(app_label="notifications", model=model).update(app_label="accounts")


class Migration(migrations.Migration):
    """The notification models, moved here from accounts with their rows."""

    initial = True

    dependencies = [
        ("accounts", "0005_move_notifications"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("organizations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist already: accounts' migration renamed them.
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("assigned", "Assigned to you"),
                                    ("mentioned", "Mentioned you"),
                                    ("status_changed", "Status changed"),
                                    ("commented", "New comment"),
                                    ("import_finished", "Import finished"),
                                    ("import_summary", "Import summary"),
                                    ("test", "Test notification"),
                                ],
                                max_length=32,
                            ),
                        ),
                        ("title", models.CharField(max_length=255)),
                        ("body", models.TextField(blank=True)),
                        (
                            "url",
                            models.CharField(
                                blank=True, help_text="A frontend path or an absolute URL.", max_length=500
                            ),
                        ),
                        (
                            "target_type",
                            models.CharField(blank=True, help_text='What it is about, e.g. "task".', max_length=32),
                        ),
                        ("target_id", models.UUIDField(blank=True, null=True)),
                        (
                            "data",
                            models.JSONField(
                                blank=True, default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="organizations.organization",
                            ),
                        ),
                        (
                            "recipient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationDelivery",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        (
                            "channel",
                            models.CharField(choices=[("email", "Email"), ("webhook", "Webhook")], max_length=16),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("sending", "Sending"),
                                    ("delivered", "Delivered"),
                                    ("failed", "Failed"),
                                ],
                                default="pending",
                                max_length=16,
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True)),
                        (
                            "next_attempt_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, help_text="When a pending delivery is due."
                            ),
                        ),
                        (
                            "claimed_at",
                            models.DateTimeField(blank=True, help_text="When the current attempt started.", null=True),
                        ),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "notification",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="deliveries",
                                to="notifications.notification",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "notification deliveries",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.AddIndex(
                    model_name="notification",
                    index=models.Index(fields=["recipient", "read_at", "-created_at"], name="accounts_notif_inbox_idx"),
                ),
                migrations.AddIndex(
                    model_name="notificationdelivery",
                    index=models.Index(fields=["state", "next_attempt_at"], name="accounts_delivery_due_idx"),
                ),
                migrations.AddIndex(
                    model_name="notificationdelivery",
                    index=models.Index(fields=["state", "claimed_at"], name="accounts_delivery_claimed_idx"),
                ),
                migrations.AddConstraint(
                    model_name="notificationdelivery",
                    constraint=models.UniqueConstraint(
                        fields=("notification", "channel"), name="accounts_delivery_once_per_channel"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=True),
    ]
