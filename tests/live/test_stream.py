"""The live stream through the API, as a frontend opens it: who sees what, resumption, credentials."""

from urllib.parse import urlencode

import pytest
from django.db import transaction

from live import publish
from live.bus import get_bus
from organizations.models import Role
from tasks_app.services import task_create
from tests.factories import MembershipFactory
from tests.live.conftest import EVENTS, TICKETS

pytestmark = pytest.mark.django_db


def events_until(stream, title: str, *, limit: int = 20) -> list[dict]:
    """Events read until the task named ``title`` was created (a marker: what came before it is all there is)."""
    seen = []
    for _ in range(limit):
        seen.extend(stream.next_events())
        if any(e["event"] == "task.created" and e["data"]["data"]["title"] == title for e in seen):
            return seen
    raise AssertionError(f"no task.created {title!r} in {seen}")


def types_and_titles(events):
    return [(e["event"], e["data"]["data"].get("title")) for e in events]


class TestOpening:
    def test_answers_an_event_stream_a_proxy_passes_on(self, client_as, open_stream):
        stream = open_stream(client_as("member"))
        response = stream.response
        assert response["Content-Type"] == "text/event-stream"
        assert response["Cache-Control"] == "no-cache"
        assert response["X-Accel-Buffering"] == "no"
        assert stream.opening == [{"retry": "2000"}]

    def test_anonymous_gets_401(self, api_client):
        response = api_client.get(EVENTS)
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "not_authenticated"

    @pytest.mark.parametrize("value", ["junk", "12", "1-2-3", "-1-0", "9" * 20 + "-0"])
    def test_a_malformed_last_event_id_is_a_400(self, client_as, value):
        response = client_as("member").get(EVENTS, {"last_event_id": value})
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "last_event_id"

    def test_a_malformed_last_event_id_header_is_ignored(self, client_as, open_stream):
        # Browsers send back an id we sent; anything else (a mangling proxy) starts the stream from now.
        assert open_stream(client_as("member"), HTTP_LAST_EVENT_ID="junk").opening == [{"retry": "2000"}]

    def test_opening_costs_a_fixed_number_of_queries(self, client_as, django_assert_num_queries):
        client = client_as("member")
        # The user (simplejwt), and the memberships; the session state is cached.
        with django_assert_num_queries(2):
            response = client.get(EVENTS)
        response.close()


class TestWhoSeesWhat:
    @pytest.mark.parametrize("role", ["viewer", "member", "admin", "owner"])
    def test_every_role_sees_task_changes_of_its_organization(
        self, role, org, client_as, client_for, open_stream, create_task, django_capture_on_commit_callbacks
    ):
        stream = open_stream(client_for(org.users[role]))
        admin = client_as("admin")
        task = create_task(admin, org, "Ship it")
        with django_capture_on_commit_callbacks(execute=True):
            admin.patch(f"/api/v1/tasks/{task['id']}", {"status": "done"})
            admin.post(f"/api/v1/tasks/{task['id']}/comments", {"body": "Done and dusted"})
            admin.delete(f"/api/v1/tasks/{task['id']}")
        events = []
        while len(events) < 4:
            events.extend(stream.next_events())
        assert [e["event"] for e in events] == ["task.created", "task.updated", "comment.created", "task.deleted"]
        created, updated, commented, _deleted = (e["data"] for e in events)
        assert created["organization"] == str(org.id)
        assert created["actor"] == str(org.admin.pk)
        assert created["data"]["id"] == task["id"]
        assert (created["data"]["status"], created["data"]["priority"]) == ("todo", "medium")
        assert updated["changed"] == ["status"]
        assert updated["data"]["status"] == "done"
        assert commented["data"]["body"] == "Done and dusted"
        assert commented["data"]["task"] == task["id"]
        assert "audience" not in created
        # Ids order the events, as Last-Event-ID needs.
        ids = [e["id"] for e in events]
        assert sorted(ids, key=lambda i: tuple(map(int, i.split("-")))) == ids == [e["data"]["id"] for e in events]

    def test_a_bulk_change_streams_an_event_per_task_and_an_edit_its_comment(
        self, org, client_as, client_for, open_stream, create_task, django_capture_on_commit_callbacks
    ):
        stream = open_stream(client_for(org.viewer))
        admin = client_as("admin")
        tasks = [create_task(admin, org, f"Bulk {number}") for number in range(3)]
        author = client_as("member")
        with django_capture_on_commit_callbacks(execute=True):
            comment = author.post(f"/api/v1/tasks/{tasks[0]['id']}/comments", {"body": "First"}).json()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = admin.post(
                "/api/v1/tasks/bulk",
                {"organization": str(org.id), "ids": [task["id"] for task in tasks], "change": {"status": "done"}},
            )
        assert response.status_code == 200, response.content
        # The three events go out together, after the commit.
        assert len([c for c in callbacks if getattr(c, "func", None) is publish._publish]) == 1
        with django_capture_on_commit_callbacks(execute=True):
            edit = author.patch(f"/api/v1/tasks/{tasks[0]['id']}/comments/{comment['id']}", {"body": "Second"})
        assert edit.status_code == 200, edit.content
        events = []
        while len(events) < 8:
            frames = stream.next_frames()
            assert not any(frame.get("event") == "end" for frame in frames), [e["event"] for e in events]
            events.extend(frame for frame in frames if "id" in frame)
        assert [e["event"] for e in events][3:] == ["comment.created", *["task.updated"] * 3, "comment.updated"]
        assert {e["data"]["data"]["id"] for e in events[4:7]} == {task["id"] for task in tasks}
        assert all(e["data"]["data"]["status"] == "done" for e in events[4:7])
        edited = events[7]["data"]["data"]
        assert (edited["body"], edited["id"]) == ("Second", comment["id"])
        assert edited["edited_at"] is not None

    def test_a_member_never_receives_another_organizations_events(
        self, org, other_org, client_as, client_for, open_stream, create_task
    ):
        stream = open_stream(client_as("member"))
        outsider_stream = open_stream(client_for(other_org.member))
        create_task(client_for(other_org.admin), other_org, "Globex secret")
        create_task(client_as("admin"), org, "Acme marker")
        assert types_and_titles(events_until(stream, "Acme marker")) == [("task.created", "Acme marker")]
        create_task(client_for(other_org.admin), other_org, "Globex marker")
        assert types_and_titles(events_until(outsider_stream, "Globex marker")) == [
            ("task.created", "Globex secret"),
            ("task.created", "Globex marker"),
        ]

    def test_a_notification_goes_to_its_recipient_only(self, org, client_as, client_for, open_stream, create_task):
        member_stream = open_stream(client_for(org.member))
        viewer_stream = open_stream(client_for(org.viewer))
        create_task(client_as("admin"), org, "For you", assignee=str(org.member.pk))
        member_events = events_until(member_stream, "For you")
        member_events += member_stream.next_events() if len(member_events) < 2 else []
        kinds = sorted(e["event"] for e in member_events)
        assert kinds == ["notification.created", "task.created"]
        notification = next(e for e in member_events if e["event"] == "notification.created")["data"]["data"]
        assert notification["kind"] == "assigned"
        create_task(client_as("admin"), org, "Viewer marker")
        assert types_and_titles(events_until(viewer_stream, "Viewer marker")) == [
            ("task.created", "For you"),
            ("task.created", "Viewer marker"),
        ]

    def test_an_export_is_announced_to_who_asked_and_the_admins_only(
        self, org, client_as, client_for, open_stream, create_task, django_capture_on_commit_callbacks
    ):
        streams = {role: open_stream(client_for(org.users[role])) for role in ("viewer", "member", "admin")}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as("member").post(f"/api/v1/reports/{org.id}/exports", {"format": "csv"})
        assert response.status_code == 202, response.content
        create_task(client_as("owner"), org, "Marker")
        seen = {role: [e["event"] for e in events_until(stream, "Marker")] for role, stream in streams.items()}
        assert seen == {
            "viewer": ["task.created"],
            "member": ["report.export_ready", "task.created"],
            "admin": ["report.export_ready", "task.created"],
        }

    def test_a_removed_member_stops_receiving_at_once(
        self, org, other_org, client_as, client_for, open_stream, create_task, django_capture_on_commit_callbacks
    ):
        MembershipFactory(organization=other_org.organization, user=org.member, role=Role.MEMBER)
        stream = open_stream(client_as("member"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as("admin").delete(f"/api/v1/organizations/{org.id}/members/{org.member.pk}")
        assert response.status_code == 204, response.content
        create_task(client_as("admin"), org, "After you left")
        create_task(client_for(other_org.admin), other_org, "Still here")
        events = events_until(stream, "Still here")
        assert [e["event"] for e in events] == ["member.removed", "task.created"]
        assert events[0]["data"]["data"]["user"] == str(org.member.pk)

    def test_a_new_membership_opens_its_organization_at_once(
        self, org, other_org, client_as, client_for, open_stream, create_task, django_capture_on_commit_callbacks
    ):
        newcomer = other_org.member
        stream = open_stream(client_for(newcomer))
        with django_capture_on_commit_callbacks(execute=True):
            response = client_as("admin").post(
                f"/api/v1/organizations/{org.id}/members", {"email": newcomer.email, "role": "viewer"}
            )
        assert response.status_code == 201, response.content
        create_task(client_as("admin"), org, "Welcome")
        assert [e["event"] for e in events_until(stream, "Welcome")] == ["member.added", "task.created"]


class TestResuming:
    def test_last_event_id_resumes_after_it_in_order(self, org, client_as, open_stream, create_task):
        client = client_as("member")
        first = open_stream(client)
        for title in ("one", "two", "three"):
            create_task(client_as("admin"), org, title)
        ids = [e["id"] for e in events_until(first, "three")]
        resumed = open_stream(client, HTTP_LAST_EVENT_ID=ids[0])
        assert [(f["id"], f["data"]["data"]["title"]) for f in resumed.opening if "id" in f] == [
            (ids[1], "two"),
            (ids[2], "three"),
        ]
        by_query = open_stream(client, f"{EVENTS}?last_event_id={ids[1]}")
        assert [f["data"]["data"]["title"] for f in by_query.opening if "id" in f] == ["three"]

    def test_the_resumed_history_is_filtered_as_the_live_stream(
        self, org, other_org, client_as, client_for, open_stream, create_task
    ):
        create_task(client_as("admin"), org, "before")
        create_task(client_for(other_org.admin), other_org, "not yours")
        create_task(client_as("admin"), org, "after")
        resumed = open_stream(client_as("viewer"), HTTP_LAST_EVENT_ID="0-0")
        assert [f["data"]["data"]["title"] for f in resumed.opening if "id" in f] == ["before", "after"]

    def test_events_are_kept_for_the_history_window_and_a_gap_says_reset(
        self, settings, org, client_as, open_stream, create_task, monkeypatch
    ):
        import live.bus

        client = client_as("member")
        stream = open_stream(client)
        create_task(client_as("admin"), org, "old")
        old_id = events_until(stream, "old")[0]["id"]
        create_task(client_as("admin"), org, "newer")
        now = live.bus.time.time()
        # Nine minutes later both are kept, and resuming from the first gives the second.
        monkeypatch.setattr(live.bus.time, "time", lambda: now + 9 * 60)
        assert [f.get("event") for f in open_stream(client, HTTP_LAST_EVENT_ID=old_id).opening[1:]] == ["task.created"]
        # Past the window (EVENTS_HISTORY_SECONDS), what was missed is gone: the client is told to reload.
        monkeypatch.setattr(live.bus.time, "time", lambda: now + settings.EVENTS_HISTORY_SECONDS + 120)
        get_bus().publish({"type": "task.created", "organization": None, "data": {}, "audience": {}})
        frames = open_stream(client, HTTP_LAST_EVENT_ID=old_id).opening
        assert frames[1] == {"event": "reset", "data": {"reason": "history_gap"}}

    def test_nothing_is_published_before_the_commit_or_for_a_rollback(self, org, django_capture_on_commit_callbacks):
        bus = get_bus()
        before = bus.last_id()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            task_create(organization=org.organization, created_by=org.admin, title="kept")
        assert bus.last_id() == before  # committed only once the callbacks run

        def create_then_fail():
            with transaction.atomic():
                task_create(organization=org.organization, created_by=org.admin, title="rolled back")
                raise RuntimeError

        with django_capture_on_commit_callbacks(execute=True) as rolled_back, pytest.raises(RuntimeError):
            create_then_fail()
        assert rolled_back == []
        assert bus.last_id() == before
        for callback in callbacks:
            callback()
        assert bus.history_after(before)[-1]["data"]["title"] == "kept"


class TestCredentials:
    def test_a_revoked_sessions_stream_ends_at_its_next_check(
        self, settings, client_as, open_stream, django_capture_on_commit_callbacks
    ):
        settings.EVENTS_RECHECK_SECONDS = 0
        client = client_as("member")
        stream = open_stream(client)
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/v1/auth/logout").status_code == 204
        assert stream.next_frames() == [{"event": "end", "data": {"reason": "session_revoked"}}]
        with pytest.raises(StopIteration):
            stream.next_frames()

    def test_a_token_needs_tasks_read(self, org, client_with_token):
        client = client_with_token(org.member, scopes=["reports:read"], organizations=[org.organization])
        response = client.get(EVENTS)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "insufficient_scope"

    def test_a_token_sees_only_its_organizations_and_scopes(
        self, org, other_org, client_as, client_for, client_with_token, open_stream, create_task,
        django_capture_on_commit_callbacks,
    ):  # fmt: skip
        MembershipFactory(organization=other_org.organization, user=org.admin, role=Role.MEMBER)
        token = client_with_token(org.admin, scopes=["tasks:read"], organizations=[org.organization])
        stream = open_stream(token)
        create_task(client_for(other_org.admin), other_org, "Other organization")
        with django_capture_on_commit_callbacks(execute=True):
            client_as("member").post(f"/api/v1/reports/{org.id}/exports", {"format": "csv"})
        create_task(client_as("member"), org, "Marker")
        # No export (reports:read), nothing of the other organization although the person is a member.
        assert types_and_titles(events_until(stream, "Marker")) == [("task.created", "Marker")]

    def test_a_revoked_tokens_stream_ends(
        self, settings, org, client_for, client_with_token, open_stream, django_capture_on_commit_callbacks
    ):
        settings.EVENTS_RECHECK_SECONDS = 0
        token = client_with_token(org.member, scopes=["tasks:read"], organizations=[org.organization])
        stream = open_stream(token)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(org.member).delete(f"/api/v1/users/me/tokens/{token.token.pk}")
        assert response.status_code == 204, response.content
        assert stream.next_frames() == [{"event": "end", "data": {"reason": "credential_ended"}}]


class TestTickets:
    def test_a_ticket_opens_the_stream_once(self, org, client_as, api_client, open_stream, create_task):
        response = client_as("member").post(TICKETS)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["expires_in"] == 60
        # Absolute, for a frontend on another origin; the ticket percent-encoded.
        assert body["url"] == f"http://testserver{EVENTS}?{urlencode({'ticket': body['ticket']})}"
        stream = open_stream(api_client, body["url"])
        create_task(client_as("admin"), org, "Seen through a ticket")
        assert types_and_titles(events_until(stream, "Seen through a ticket")) == [
            ("task.created", "Seen through a ticket")
        ]
        again = api_client.get(body["url"])
        assert again.status_code == 401
        assert again.json()["errors"][0]["code"] == "ticket_used"

    @pytest.mark.parametrize("ticket", ["junk", "", "a:b:c"])
    def test_a_forged_ticket_is_a_401(self, api_client, ticket):
        response = api_client.get(f"{EVENTS}?ticket={ticket}")
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] in {"invalid_ticket", "not_authenticated"}

    def test_a_ticket_of_a_revoked_session_is_refused(self, client_as, api_client, django_capture_on_commit_callbacks):
        client = client_as("member")
        url = client.post(TICKETS).json()["url"]
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/api/v1/auth/logout")
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "session_revoked"

    def test_a_ticket_stream_ends_when_its_session_is_revoked(
        self, settings, client_as, api_client, open_stream, django_capture_on_commit_callbacks
    ):
        settings.EVENTS_RECHECK_SECONDS = 0
        client = client_as("member")
        stream = open_stream(api_client, client.post(TICKETS).json()["url"])
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/api/v1/auth/logout")
        assert stream.next_frames() == [{"event": "end", "data": {"reason": "session_revoked"}}]

    def test_tokens_get_no_tickets(self, org, client_with_token):
        token = client_with_token(org.member, scopes=["tasks:read"], organizations=[org.organization])
        response = token.post(TICKETS)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "insufficient_scope"


class TestEnding:
    def test_a_wsgi_stream_ends_after_its_limit_and_says_reconnect(self, settings, client_as, open_stream):
        # A WSGI worker is held by its stream: bounded (the fuzz suite's WSGI client relies on it too).
        settings.EVENTS_WSGI_STREAM_SECONDS = 0.001
        stream = open_stream(client_as("member"))
        assert stream.next_frames() == [{"event": "end", "data": {"reason": "reconnect"}}]
        with pytest.raises(StopIteration):
            stream.next_frames()

    def test_a_server_shutdown_ends_every_stream(self, client_as, open_stream):
        stream = open_stream(client_as("member"))
        get_bus().close_all()
        assert stream.next_frames() == [{"event": "end", "data": {"reason": "shutdown"}}]

    def test_an_idle_stream_beats(self, settings, client_as, open_stream):
        settings.EVENTS_HEARTBEAT_SECONDS = 0
        stream = open_stream(client_as("member"))
        assert stream.next_frames() == [{"comment": "heartbeat"}]


def test_with_an_authorization_header_a_ticket_is_ignored(client_as, open_stream):
    stream = open_stream(client_as("member"), f"{EVENTS}?ticket=junk")
    assert stream.opening == [{"retry": "2000"}]
