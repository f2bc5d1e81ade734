"""Reads of tasks, shaped for the serializers that render them (a fixed number of queries per page)."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from tasks_app.models import Comment, Task, TaskActivity

USER_FIELDS = ("id", "username", "full_name", "email")


def task_list() -> QuerySet[Task]:
    """Tasks with what ``TaskSerializer`` renders: creator, assignee and mentioned users."""
    users = User.objects.only(*USER_FIELDS)
    return Task.objects.select_related("created_by", "assignee").prefetch_related(
        Prefetch("mentions", queryset=users.order_by("username"))
    )


def task_list_assigned(*, user) -> QuerySet[Task]:
    return task_list().filter(assignee=user)


def task_list_mentioning(*, user) -> QuerySet[Task]:
    return task_list().filter(mention_links__user=user)


def comment_list(*, task: Task) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(task=task)
        .select_related("author")
        .prefetch_related(Prefetch("mentions", queryset=User.objects.only(*USER_FIELDS).order_by("username")))
    )


def activity_list(*, task: Task) -> QuerySet[TaskActivity]:
    return TaskActivity.objects.filter(task=task).select_related("actor")


def task_list_of_organization(*, organization_id) -> QuerySet[Task]:
    """Every task of one organization, unordered and without joins: the base that reports aggregate over."""
    return Task.objects.filter(organization_id=organization_id).order_by()
