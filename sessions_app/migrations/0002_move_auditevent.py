from django.db import migrations


class Migration(migrations.Migration):
    """The audit log moved to its own app: the model leaves this app's state, and its table is renamed
    to the new app's name (data and indexes stay as they are)."""

    dependencies = [
        ("sessions_app", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[migrations.AlterModelTable(name="AuditEvent", table="audit_auditevent")],
        ),
    ]
