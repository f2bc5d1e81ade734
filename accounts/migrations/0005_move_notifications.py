from django.db import migrations


class Migration(migrations.Migration):
    """Notifications moved to their own app: its models leave this app's state, and their tables are
    renamed to the new app's names (data, indexes and constraints stay as they are)."""

    dependencies = [
        ("accounts", "0004_notification_data_encoder"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="NotificationDelivery"),
                migrations.DeleteModel(name="Notification"),
            ],
            database_operations=[
                migrations.AlterModelTable(name="Notification", table="notifications_notification"),
                migrations.AlterModelTable(name="NotificationDelivery", table="notifications_notificationdelivery"),
            ],
        ),
    ]
