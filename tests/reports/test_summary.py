"""The JSON summary's figures against the hand-counted ``dataset`` (see conftest)."""

import pytest

from reports.ranges import report_range
from reports.selectors import report_summary
from tasks_app.models import Priority, Status
from tests.organizations.assertions import assert_error
from tests.reports.conftest import RANGE, d, report_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(dataset, org, client_as, freeze_today):
    freeze_today("2030-01-20")
    response = client_as("member").get(report_url(org.id), RANGE)
    assert response.status_code == 200, response.content
    return response.json()


def test_range_and_organization(report, org):
    assert report["organization"] == {"id": str(org.id), "name": "Acme", "slug": org.organization.slug}
    assert report["range"] == {"from": "2029-12-24", "to": "2030-01-13", "days": 21, "as_of": "2030-01-13"}


def test_totals_count_every_task_created_up_to_to(report):
    # t1..t7, t9, t10; not t8 (created after `to`) nor the other organization's task.
    assert report["totals"] == {"all": 9, "open": 4, "done": 5, "overdue": 2}


def test_by_status_and_priority_list_every_value_zeros_included(report):
    assert report["by_status"] == [
        {"status": "todo", "count": 3},
        {"status": "in_progress", "count": 1},
        {"status": "done", "count": 5},
    ]
    assert report["by_priority"] == [
        {"priority": "low", "count": 3},
        {"priority": "medium", "count": 2},
        {"priority": "high", "count": 2},
        {"priority": "urgent", "count": 2},
    ]


def test_by_assignee_with_the_unassigned_row_last(report, org):
    assert report["by_assignee"] == [
        {
            "id": str(org.member.pk),
            "username": org.member.username,
            "name": org.member.full_name,
            "open": 1,
            "done": 3,
            "overdue": 1,
        },
        {
            "id": str(org.admin.pk),
            "username": org.admin.username,
            "name": org.admin.full_name,
            "open": 1,
            "done": 2,
            "overdue": 0,
        },
        {"id": None, "username": None, "name": "Unassigned", "open": 2, "done": 0, "overdue": 1},
    ]


def test_weeks_split_on_iso_mondays_across_the_year_boundary(report):
    assert report["weeks"] == [
        # t2 (Mon 00:00), t3 (Sun 23:59:59), t10 | completed t2, t9
        {"week": "2029-W52", "start": "2029-12-24", "created": 3, "completed": 2},
        # t4 (Mon 31 Dec 2029 is in 2030-W01), t5 (Sun 6 Jan 23:00) | completed t4
        {"week": "2030-W01", "start": "2029-12-31", "created": 2, "completed": 1},
        # t6 (Mon 7 Jan 00:00), t7 | completed t6
        {"week": "2030-W02", "start": "2030-01-07", "created": 2, "completed": 1},
    ]


def test_cycle_time_median_and_p90_interpolate(report):
    # Completed in the range: t6 10 h, t2 24 h, t4 156 h, t9 2100 h.
    # Median at position 1.5: 24 + 0.5 * 132 = 90; p90 at position 2.7: 156 + 0.7 * 1944 = 1516.8.
    assert report["cycle_time"] == {"completed": 4, "median_hours": 90.0, "p90_hours": 1516.8}


def test_weeks_at_the_edges_count_only_days_inside_the_range(dataset, org, client_as, freeze_today):
    freeze_today("2030-01-20")
    body = client_as("viewer").get(report_url(org.id), {"from": "2029-12-26", "to": "2030-01-08"}).json()
    assert [(w["week"], w["created"], w["completed"]) for w in body["weeks"]] == [
        ("2029-W52", 2, 1),  # t3, t10 (t2 was created on the 24th) | t9 (t2 completed on the 25th)
        ("2030-W01", 2, 1),
        ("2030-W02", 1, 1),  # t6 (t7 is on the 13th)
    ]
    assert body["cycle_time"]["completed"] == 3


def test_a_single_task_has_its_cycle_time_as_both_percentiles(org, make_task, freeze_today):
    freeze_today("2030-01-20")
    make_task(created="2030-01-07 00:00", status=Status.DONE, completed="2030-01-08 06:30")
    summary = report_summary(
        organization=org.organization, report_range=report_range(date_from=d("2030-01-07"), date_to=d("2030-01-13"))
    )
    assert summary["cycle_time"] == {"completed": 1, "median_hours": 30.5, "p90_hours": 30.5}


def test_an_empty_organization_reports_zeros_and_null_cycle_times(org, client_as, freeze_today):
    freeze_today("2030-01-20")
    body = client_as("member").get(report_url(org.id), RANGE).json()
    assert body["totals"] == {"all": 0, "open": 0, "done": 0, "overdue": 0}
    assert [s["count"] for s in body["by_status"]] == [0, 0, 0]
    assert body["by_assignee"] == []
    assert [w["created"] + w["completed"] for w in body["weeks"]] == [0, 0, 0]
    assert body["cycle_time"] == {"completed": 0, "median_hours": None, "p90_hours": None}


class TestOverdueRule:
    """Overdue: not done and due *before* ``as_of``, the earlier of ``to`` and today."""

    @pytest.fixture
    def due_tasks(self, make_task):
        make_task(created="2030-01-01 00:00", due_date=d("2030-01-09"))  # the day before the 10th
        make_task(created="2030-01-01 00:00", due_date=d("2030-01-10"))
        make_task(created="2030-01-01 00:00", due_date=d("2030-01-11"), status=Status.IN_PROGRESS)
        make_task(
            created="2030-01-01 00:00", due_date=d("2029-12-01"), status=Status.DONE, completed="2030-01-02 00:00"
        )

    def overdue(self, org, date_to):
        summary = report_summary(
            organization=org.organization, report_range=report_range(date_from=d("2030-01-01"), date_to=d(date_to))
        )
        return summary["range"]["as_of"], summary["totals"]["overdue"]

    def test_a_past_range_judges_due_dates_against_its_end(self, org, due_tasks, freeze_today):
        freeze_today("2030-03-01")
        assert self.overdue(org, "2030-01-10") == (d("2030-01-10"), 1)  # due the 9th; not the 10th itself
        assert self.overdue(org, "2030-01-11") == (d("2030-01-11"), 2)
        assert self.overdue(org, "2030-01-12") == (d("2030-01-12"), 3)  # in progress counts; done never does

    def test_a_range_reaching_into_the_future_judges_them_against_today(self, org, due_tasks, freeze_today):
        freeze_today("2030-01-10")
        assert self.overdue(org, "2030-01-31") == (d("2030-01-10"), 1)


def test_an_assignee_without_a_full_name_is_named_by_username(org, make_task, freeze_today):
    freeze_today("2030-01-20")
    org.viewer.full_name = ""
    org.viewer.save()
    make_task(created="2030-01-07 00:00", assignee=org.viewer, priority=Priority.LOW)
    summary = report_summary(
        organization=org.organization, report_range=report_range(date_from=d("2030-01-07"), date_to=d("2030-01-07"))
    )
    assert summary["by_assignee"][0]["name"] == org.viewer.username


class TestRanges:
    def test_defaults_to_twelve_iso_weeks_ending_today(self, org, client_as, freeze_today):
        freeze_today("2030-01-09")  # a Wednesday
        body = client_as("member").get(report_url(org.id)).json()
        assert body["range"] == {"from": "2029-10-22", "to": "2030-01-09", "days": 80, "as_of": "2030-01-09"}
        assert len(body["weeks"]) == 12
        assert (body["weeks"][0]["start"], body["weeks"][-1]["week"]) == ("2029-10-22", "2030-W02")

    def test_blank_dates_mean_the_defaults(self, org, client_as, freeze_today):
        freeze_today("2030-01-09")
        body = client_as("member").get(report_url(org.id), {"from": "", "to": ""}).json()
        assert (body["range"]["from"], body["range"]["to"]) == ("2029-10-22", "2030-01-09")

    def test_only_from_runs_to_today(self, org, client_as, freeze_today):
        freeze_today("2030-01-09")
        body = client_as("member").get(report_url(org.id), {"from": "2030-01-01"}).json()
        assert (body["range"]["from"], body["range"]["to"]) == ("2030-01-01", "2030-01-09")

    def test_only_to_covers_the_twelve_weeks_ending_with_its_week(self, org, client_as, freeze_today):
        freeze_today("2030-06-01")
        body = client_as("member").get(report_url(org.id), {"to": "2030-01-09"}).json()
        assert (body["range"]["from"], body["range"]["to"], body["range"]["as_of"]) == (
            "2029-10-22",
            "2030-01-09",
            "2030-01-09",
        )

    def test_a_53_week_year(self, org, client_as, freeze_today):
        freeze_today("2027-02-01")
        body = client_as("member").get(report_url(org.id), {"from": "2026-12-28", "to": "2027-01-04"}).json()
        assert [(w["week"], w["start"]) for w in body["weeks"]] == [
            ("2026-W53", "2026-12-28"),
            ("2027-W01", "2027-01-04"),
        ]

    @pytest.mark.parametrize(
        ("query", "field", "code"),
        [
            ({"from": "2030-01-13", "to": "2030-01-12"}, "from", "invalid_range"),
            ({"from": "13/01/2030"}, "from", "invalid"),
            ({"to": "2030-02-30"}, "to", "invalid"),
            ({"from": "yesterday", "to": "2030-01-12"}, "from", "invalid"),
            ({"from": "2028-01-01", "to": "2030-01-12"}, "to", "range_too_long"),
            ({"from": "0001-01-01", "to": "0001-01-02"}, "from", "invalid"),
            ({"from": "9999-12-30", "to": "9999-12-31"}, "from", "invalid"),
            ({"format": "xml"}, "format", "invalid_choice"),
        ],
    )
    def test_bad_ranges_answer_400_naming_the_field(self, org, client_as, freeze_today, query, field, code):
        freeze_today("2030-01-20")
        body = assert_error(client_as("member").get(report_url(org.id), query), 400, code)
        assert field in [e["field"] for e in body["errors"]]

    def test_the_longest_allowed_range_is_report_max_days(self, org, client_as, freeze_today, settings):
        freeze_today("2030-01-20")
        settings.REPORT_MAX_DAYS = 14
        client = client_as("member")
        assert client.get(report_url(org.id), {"from": "2030-01-01", "to": "2030-01-14"}).status_code == 200
        assert_error(client.get(report_url(org.id), {"from": "2030-01-01", "to": "2030-01-15"}), 400, "range_too_long")

    def test_a_two_year_range_is_allowed_by_default(self, org, client_as, freeze_today):
        freeze_today("2030-01-20")
        body = client_as("member").get(report_url(org.id), {"from": "2028-01-13", "to": "2030-01-12"}).json()
        assert body["range"]["days"] == 731
        assert len(body["weeks"]) == 105
