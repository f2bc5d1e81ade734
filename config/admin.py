"""Admin building blocks that know no domain: actions that go through a service, read-only inlines."""

from django.contrib import admin, messages

from config.errors import SERVICE_ERRORS, messages_of


def apply_each(modeladmin, request, queryset, call, verb: str) -> int:
    """Run ``call(obj)`` for each object; one success message with the count, one error per refusal."""
    done = 0
    for obj in queryset:
        try:
            call(obj)
        except SERVICE_ERRORS as exc:
            for message in messages_of(exc):
                modeladmin.message_user(request, f"{obj}: {message}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{verb} {done} item(s).", messages.SUCCESS)
    return done


class ReadOnlyInline(admin.TabularInline):
    """Rows staff look at but never add, edit or delete here (job rows, written by their services)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False
