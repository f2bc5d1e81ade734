"""Admin building blocks that know no domain: actions that go through a service, read-only inlines, file
downloads."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html

from config.errors import SERVICE_ERRORS, NotFound, messages_of
from config.views import stored_file_attachment


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


class FileDownloadAdmin(admin.ModelAdmin):
    """Read-only rows with a built file (report and data exports) that staff download from the list.

    A subclass adds ``"download"`` to its ``list_display`` and ``fields`` and says, per object, whether
    the file is ready (``file_ready``), its content type (``file_content_type``) and its name
    (``obj.filename``); the download view checks view permission and answers 404 for a missing file.
    """

    download_label = "Download"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def file_ready(self, obj) -> bool:
        return obj.is_ready

    def file_content_type(self, obj) -> str:
        raise NotImplementedError

    def _download_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_download"

    @admin.display(description="file")
    def download(self, obj):
        if not self.file_ready(obj):
            return "-"
        url = reverse(f"admin:{self._download_url_name()}", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, self.download_label_of(obj))

    def download_label_of(self, obj) -> str:
        return self.download_label

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<uuid:object_id>/download/", download, name=self._download_url_name()), *super().get_urls()]

    def download_view(self, request, object_id):
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is None or not self.file_ready(obj):
            raise Http404("No built file with this id.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        # As the API answers it: the file itself, or a redirect to a presigned link of the shared bucket.
        try:
            return stored_file_attachment(
                obj.file, filename=obj.filename, content_type=self.file_content_type(obj), missing="The file is gone."
            )
        except NotFound:
            raise Http404("The file is gone.") from None
