import datetime

import pytest

from tasks_app.models import Priority, Status, Task

UTC = datetime.UTC


def at(text: str) -> datetime.datetime:
    """An aware UTC datetime from ``"2030-01-06 23:59"``."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.fixture
def freeze_today(monkeypatch):
    """``freeze_today("2030-01-20")``: what the reports take for today."""

    def freeze(day: str):
        monkeypatch.setattr("reports.ranges.today", lambda: d(day))

    return freeze


@pytest.fixture
def make_task(org):
    """A task with exactly the given timestamps (the service would stamp ``now``): report fixtures need the past."""

    def make(*, created: str, status=Status.TODO, completed: str | None = None, **fields) -> Task:
        fields.setdefault("organization", org.organization)
        fields.setdefault("title", "A task")
        fields.setdefault("priority", Priority.MEDIUM)
        if status == Status.DONE and completed is None:
            raise ValueError("a done task needs its completion time")
        return Task.objects.create(
            status=status, created_at=at(created), completed_at=at(completed) if completed else None, **fields
        )

    return make


@pytest.fixture
def dataset(org, other_org, make_task):
    """Hand-counted tasks around the 2029/2030 ISO year boundary; the report range is 2029-12-24 .. 2030-01-13.

    ISO weeks in the range: 2029-W52 (Mon 24 Dec), 2030-W01 (Mon 31 Dec 2029), 2030-W02 (Mon 7 Jan).
    Overdue is judged on 2030-01-13 when today is later (see ``test_summary`` for the counts).
    """
    member, admin = org.member, org.admin
    S, P = Status, Priority
    tasks = {
        # Created before the range: in the totals, not in the weekly series.
        "t1": make_task(created="2029-11-01 10:00", priority=P.LOW, assignee=member, due_date=d("2030-01-12")),
        # First instant of the range (Monday of 2029-W52); done in 24 h.
        "t2": make_task(
            created="2029-12-24 00:00",
            status=S.DONE,
            completed="2029-12-25 00:00",
            priority=P.HIGH,
            assignee=member,
            due_date=d("2029-12-20"),
        ),
        # Last second of Sunday 30 Dec: still 2029-W52. Due on the as_of day itself: not overdue.
        "t3": make_task(
            created="2029-12-30 23:59:59",
            status=S.IN_PROGRESS,
            priority=P.URGENT,
            assignee=admin,
            due_date=d("2030-01-13"),
        ),
        # Monday 31 Dec 2029 starts 2030-W01 (the ISO year begins in December); done in 156 h.
        "t4": make_task(
            created="2029-12-31 00:00", status=S.DONE, completed="2030-01-06 12:00", priority=P.MEDIUM, assignee=admin
        ),
        # Sunday 2030-01-06 23:00: 2030-W01. Unassigned and overdue.
        "t5": make_task(created="2030-01-06 23:00", priority=P.MEDIUM, due_date=d("2030-01-01")),
        # Monday 2030-01-07 00:00: 2030-W02; done in 10 h.
        "t6": make_task(
            created="2030-01-07 00:00", status=S.DONE, completed="2030-01-07 10:00", priority=P.LOW, assignee=member
        ),
        # The range's last day; no due date: open, never overdue.
        "t7": make_task(created="2030-01-13 23:59", priority=P.HIGH),
        # The day after the range: nowhere, although it would be overdue.
        "t8": make_task(created="2030-01-14 00:00", priority=P.HIGH, assignee=member, due_date=d("2029-01-01")),
        # Created long before, completed inside the range (2029-W52): 2100 h of cycle time.
        "t9": make_task(
            created="2029-10-01 00:00", status=S.DONE, completed="2029-12-27 12:00", priority=P.URGENT, assignee=member
        ),
        # Created in the range, completed after it: done in the totals, not in the completed series.
        "t10": make_task(
            created="2029-12-28 08:00", status=S.DONE, completed="2030-01-20 08:00", priority=P.LOW, assignee=admin
        ),
        # Another organization's task, in the range: never counted.
        "other": make_task(
            created="2030-01-02 00:00",
            organization=other_org.organization,
            status=S.DONE,
            completed="2030-01-03 00:00",
            due_date=d("2029-12-01"),
        ),
    }
    return tasks


RANGE = {"from": "2029-12-24", "to": "2030-01-13"}


def report_url(organization_id) -> str:
    return f"/api/v1/reports/{organization_id}"
