"""``GET /organizations/{id}/audit-log`` and its CSV export, as an organization's admin reads them; the
admin's read-only pages; retention."""

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from config.retention import retention_policies, retention_run
from orgaudit.models import OrganizationAuditRecord
from tests.factories import OrganizationAuditRecordFactory
from tests.organizations.assertions import assert_error

pytestmark = pytest.mark.django_db


def url(org, suffix=""):
    return f"/api/v1/organizations/{org.id}/audit-log{suffix}"


def at(day, hour=12):
    return datetime(2025, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def log(org, other_org):
    """Five records of ``org`` (one of another organization), oldest first."""
    made = [
        OrganizationAuditRecordFactory(organization=org.organization, occurred_at=at(1), actor=org.admin),
        OrganizationAuditRecordFactory(
            organization=org.organization, occurred_at=at(2), action="member.added", actor=org.owner
        ),
        OrganizationAuditRecordFactory(
            organization=org.organization, occurred_at=at(3), action="member.removed", actor=org.owner
        ),
        OrganizationAuditRecordFactory(
            organization=org.organization,
            occurred_at=at(3),
            action="invitation.created",
            actor=None,
            actor_kind="system",
            target_type="invitation",
        ),
        OrganizationAuditRecordFactory(organization=org.organization, occurred_at=at(5), actor=org.admin),
    ]
    OrganizationAuditRecordFactory(organization=other_org.organization, occurred_at=at(4))
    return made


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["data"]]


def test_admins_read_the_log_newest_first(org, client_for, log):
    response = client_for(org.admin).get(url(org))
    assert ids(response) == [r.pk for r in reversed(log)]
    first = response.json()["data"][0]
    assert set(first) == {
        "id", "occurred_at", "action", "actor", "actor_kind", "credential_id", "credential_label", "ip",
        "request_id", "target_type", "target_id", "target_label", "before", "after", "change_id",
    }  # fmt: skip
    assert first["actor"]["email"] == org.admin.email
    assert (first["before"], first["after"]) == ({"title": "Before"}, {"title": "After"})
    assert response.json()["pagination"] == {"next": None, "previous": None, "page_size": 20}
    assert ids(client_for(org.owner).get(url(org)))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=member.added", [1]),
        ("action=member.added,member.removed", [2, 1]),
        ("target_type=invitation", [3]),
        ("from=2025-03-03", [4, 3, 2]),
        ("to=2025-03-03", [3, 2, 1, 0]),  # a date `to` covers the whole day
        ("from=2025-03-02&to=2025-03-03", [3, 2, 1]),
        ("from=2025-03-03T12:00:00Z&to=2025-03-03T12:00:00Z", [3, 2]),  # date-times are inclusive too
        ("to=2025-03-02T11:59:59Z", [0]),
    ],
)
def test_filters(org, client_for, log, query, expected):
    assert ids(client_for(org.admin).get(f"{url(org)}?{query}")) == [log[i].pk for i in expected]


def test_filter_by_actor_and_target(org, client_for, log):
    admin = client_for(org.admin)
    assert ids(admin.get(f"{url(org)}?actor={org.owner.pk}")) == [log[2].pk, log[1].pk]
    assert ids(admin.get(f"{url(org)}?target_id={log[0].target_id}")) == [log[0].pk]
    assert ids(admin.get(f"{url(org)}?actor={org.viewer.pk}")) == []


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("actor=nope", "actor", "invalid"),
        ("action=task.exploded", "action", "invalid_choice"),
        ("from=yesterday", "from", "invalid"),
        ("to=2025-02-30", "to", "invalid"),
        ("from=2025-03-05&to=2025-03-01", "from", "invalid_range"),
        # More values than the schema's maxItems, even with repeats among them (found by the schema fuzzer).
        ("&".join(["action=task.updated"] * 21), "action", "invalid"),
        ("action=" + ",".join(["member.added", "member.removed"] * 11), "action", "invalid"),
    ],
)
def test_bad_filters_are_400(org, client_for, query, field, code):
    body = assert_error(client_for(org.admin).get(f"{url(org)}?{query}"), 400, code)
    assert field in [error["field"] for error in body["errors"]]


def test_cursor_pages_neither_overlap_nor_skip(org, client_for, log):
    admin = client_for(org.admin)
    seen, link, pages = (
        [],
        f"{url(org)}?page_size=2&action=task.updated,member.added,member.removed,invitation.created",
        0,
    )
    while link:
        response = admin.get(link)
        seen += ids(response)
        link = response.json()["pagination"]["next"]
        if link:
            parts = urlsplit(link)
            assert "action=" in parts.query  # the filters travel with the cursor
            link = f"{parts.path}?{parts.query}"
        pages += 1
    assert seen == [r.pk for r in reversed(log)]
    assert pages == 3
    # A record arriving meanwhile does not shift the pages already read.
    last = admin.get(f"{url(org)}?page_size=2").json()
    OrganizationAuditRecordFactory(organization=org.organization, occurred_at=timezone.now())
    second = admin.get(urlsplit(last["pagination"]["next"]).path + "?" + urlsplit(last["pagination"]["next"]).query)
    assert ids(second) == [log[2].pk, log[1].pk]
    previous = second.json()["pagination"]["previous"]
    assert previous is not None


def test_a_forged_cursor_is_404(org, client_for, log):
    assert_error(client_for(org.admin).get(f"{url(org)}?cursor=bz1hYmM="), 404, "invalid_cursor")


def test_page_size_is_capped(org, client_for, log, settings):
    settings.API_MAX_PAGE_SIZE = 2
    assert len(ids(client_for(org.admin).get(f"{url(org)}?page_size=50"))) == 2


def test_members_are_refused_and_outsiders_see_nothing(org, client_for, outsider, log):
    assert_error(client_for(org.member).get(url(org)), 403, "permission_denied")
    assert_error(client_for(org.member).get(url(org, "/export")), 403, "permission_denied")
    assert_error(client_for(outsider).get(url(org)), 404, "not_found")
    assert_error(client_for(outsider).get(url(org, "/export")), 404, "not_found")


def test_tokens_need_org_admin(org, client_with_token, log):
    reader = client_with_token(org.admin, scopes=["tasks:read", "members:read"], organizations=[org.organization])
    assert_error(reader.get(url(org)), 403, "insufficient_scope")
    admin = client_with_token(org.admin, scopes=["org:admin"], organizations=[org.organization])
    assert len(ids(admin.get(url(org)))) == 5
    assert admin.get(url(org, "/export")).status_code == 200
    # A member's token with org:admin does no more than the member may.
    member = client_with_token(org.member, scopes=["org:admin"], organizations=[org.organization])
    assert_error(member.get(url(org)), 403, "permission_denied")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_records_cannot_be_written_through_the_api(org, client_for, log, method):
    admin = client_for(org.admin)
    assert_error(getattr(admin, method)(url(org), {"action": "task.created"}), 405)
    assert_error(getattr(admin, method)(url(org, "/export")), 405)
    assert OrganizationAuditRecord.objects.filter(organization_id=org.id).count() == 5


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_is_the_filtered_log_and_formula_safe(org, client_for, log):
    OrganizationAuditRecordFactory(
        organization=org.organization, occurred_at=at(6), target_label='=HYPERLINK("http://evil")', actor=org.admin
    )
    rows = read_csv(client_for(org.admin).get(url(org, "/export")))
    assert len(rows) == 6
    assert rows[0]["target_label"] == '\'=HYPERLINK("http://evil")'
    assert (rows[0]["actor_email"], rows[0]["actor_kind"]) == (org.admin.email, "person")
    assert rows[0]["before"] == '{"title": "Before"}'
    assert rows[-1]["occurred_at"] == at(1).isoformat()
    filtered = read_csv(client_for(org.admin).get(url(org, "/export?action=member.added,member.removed")))
    assert [row["action"] for row in filtered] == ["member.removed", "member.added"]
    assert_error(client_for(org.admin).get(url(org, "/export?from=nope")), 400, "invalid")


def test_csv_export_of_a_real_change(org, client_for):
    client_for(org.member).post("/api/v1/tasks", {"organization": str(org.id), "title": "+cmd|' /C calc'!A0"})
    rows = read_csv(client_for(org.admin).get(url(org, "/export")))
    assert [(row["action"], row["target_label"]) for row in rows] == [("task.created", "'+cmd|' /C calc'!A0")]


def test_the_admin_shows_records_but_never_changes_or_deletes_them(org, staff, log):
    record = log[0]
    assert staff.get("/admin/orgaudit/organizationauditrecord/").status_code == 200
    assert staff.get("/admin/orgaudit/organizationauditrecord/?action=member.added&q=Task").status_code == 200
    page = staff.get(f"/admin/orgaudit/organizationauditrecord/{record.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert (
        staff.post(f"/admin/orgaudit/organizationauditrecord/{record.pk}/change/", {"action": "x"}).status_code == 403
    )
    assert (
        staff.post(f"/admin/orgaudit/organizationauditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert staff.get("/admin/orgaudit/organizationauditrecord/add/").status_code == 403
    bulk = staff.post(
        "/admin/orgaudit/organizationauditrecord/", {"action": "delete_selected", "_selected_action": [record.pk]}
    )
    assert bulk.status_code in (200, 302)
    record.refresh_from_db()
    assert record.action == "task.updated"
    assert OrganizationAuditRecord.objects.filter(organization_id=org.id).count() == 5


def test_retention_purges_records_past_the_audit_age(org, settings):
    settings.RETENTION_AUDIT_DAYS = 400
    now = timezone.now()
    old = OrganizationAuditRecordFactory(organization=org.organization, occurred_at=now - timedelta(days=401))
    kept = OrganizationAuditRecordFactory(organization=org.organization, occurred_at=now - timedelta(days=399))
    assert "organization_audit" in [policy.name for policy in retention_policies()]
    (dry,) = retention_run(names=["organization_audit"], dry_run=True, now=now)
    assert dry.removed == 1
    assert OrganizationAuditRecord.objects.filter(pk=old.pk).exists()
    (result,) = retention_run(names=["organization_audit"], batch_size=1, now=now)
    assert (result.removed, result.error) == (1, "")
    assert list(OrganizationAuditRecord.objects.values_list("pk", flat=True)) == [kept.pk]
