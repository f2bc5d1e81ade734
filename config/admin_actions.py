"""Admin actions that call a service once per selected row and report what it refused."""

from django.contrib import messages

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
