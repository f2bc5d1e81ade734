"""config.records: a queryset's rows as plain records, read by the statement that would build model instances."""

import pytest
from django.db.models import F, Value

from config.records import Record, records
from tasks_app.models import Task
from tests.factories.accounts import UserFactory
from tests.factories.tasks import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tasks():
    assignee = UserFactory(username="ada", full_name="Ada L.")
    assigned = TaskFactory(title="Assigned", assignee=assignee)
    unassigned = TaskFactory(title="Unassigned", organization=assigned.organization)
    return assigned, unassigned


def test_a_record_holds_what_a_model_instance_would(two_tasks):
    queryset = Task.objects.select_related("created_by", "assignee").order_by("title")
    for instance, record in zip(queryset, records(queryset), strict=True):
        assert isinstance(record, Record)
        assert record.pk == record.id == instance.pk
        for field in Task._meta.concrete_fields:
            assert getattr(record, field.attname) == getattr(instance, field.attname), field.attname
        assert record.created_by.pk == instance.created_by.pk
        assert record.created_by.username == instance.created_by.username


def test_a_null_foreign_key_reads_as_none_and_a_joined_one_as_a_record(two_tasks):
    assigned, unassigned = two_tasks
    rows = {row.pk: row for row in records(Task.objects.select_related("assignee"))}
    assert rows[unassigned.pk].assignee is None
    assert rows[assigned.pk].assignee.pk == assigned.assignee_id
    assert (rows[assigned.pk].assignee.username, rows[assigned.pk].assignee.full_name) == ("ada", "Ada L.")


def test_annotations_are_attributes_and_unselected_columns_are_not_read(two_tasks, django_assert_num_queries):
    queryset = records(Task.objects.only("id", "title").annotate(shout=F("title"), one=Value(1)))
    with django_assert_num_queries(1):
        rows = list(queryset.order_by("title"))
    assert [(row.shout, row.one) for row in rows] == [("Assigned", 1), ("Unassigned", 1)]
    with pytest.raises(AttributeError):
        rows[0].description  # noqa: B018 - a record reads nothing on access: no query per row


def test_filters_slices_counts_and_values_work_on_it(two_tasks):
    assigned, _ = two_tasks
    queryset = records(Task.objects.order_by("title"))
    assert [row.title for row in queryset.filter(assignee__isnull=False)] == ["Assigned"]
    assert [row.title for row in queryset[1:2]] == ["Unassigned"]
    assert queryset.count() == 2
    assert list(queryset.values_list("title", flat=True)) == ["Assigned", "Unassigned"]
    assert queryset.filter(pk=assigned.pk).first().title == "Assigned"


def test_a_reverse_relation_is_refused():
    from organizations.models import Organization

    with pytest.raises(NotImplementedError):
        list(records(Organization.objects.select_related("report_settings")))
