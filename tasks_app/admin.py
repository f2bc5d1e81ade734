from django.contrib import admin

from tasks_app.models import Comment, Task, TaskActivity


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ("author", "body", "created_at")
    readonly_fields = fields


class ActivityInline(ReadOnlyInline):
    model = TaskActivity
    fields = ("created_at", "actor", "verb", "field", "old_value", "new_value")
    readonly_fields = fields


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "organization", "status", "priority", "assignee", "due_date", "created_at")
    list_filter = ("status", "priority", "organization", ("assignee", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "description", "assignee__email", "assignee__username")
    autocomplete_fields = ("assignee", "created_by", "organization")
    list_select_related = ("organization", "assignee")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "completed_at", "created_at", "updated_at")
    inlines = [CommentInline, ActivityInline]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("task", "author", "created_at")
    search_fields = ("body", "task__title", "author__email")
    list_select_related = ("task", "author")
    autocomplete_fields = ("task", "author")
    readonly_fields = ("id", "created_at")
