"""Schemathesis against our own OpenAPI schema: every operation, signed in as an owner and as a viewer.

The schema is loaded from the in-process WSGI application (``/api/v1/schema/``), and every request
goes through it, in the test's database transaction (pytest-django's ``db``: rolled back after each
test). Each operation is its own test (``test_operation[POST /api/v1/tasks][owner]``) with a fresh
world (``tests/fuzz/conftest.py``): an organization with data, the caller signed in with a real token.

Phases: schemathesis's ``examples``, ``coverage`` (boundary values, wrong types, missing fields,
unexpected methods: deterministic) and ``fuzzing`` (Hypothesis, positive and negative data, at most
``MAX_EXAMPLES`` per operation), then ``test_stateful`` chains operations through the links
schemathesis infers from the schema. A fixed seed and ``derandomize`` make every run send the
same requests: ``.venv/bin/pytest tests/fuzz``.

Every built-in check runs (server errors, status codes, content types, response schemas and headers,
positive data accepted, negative data rejected, auth enforced, unsupported methods, use after free,
...). Two are scoped, narrowly, by ``filter_failure`` below, for reasons it gives.
"""

import os
import re
import uuid
import zlib
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.generation.meta import CoverageScenario
from schemathesis.openapi.checks import RejectedPositiveData

from config import idempotency_keys
from config.schema import ETAG_LIST_PATTERN
from config.wsgi import application
from tests.fuzz.conftest import ROLES, build_fuzz_world

SEED = 20261121
# Bounded for CI; raise them for a deeper run: FUZZ_EXAMPLES=500 FUZZ_SCENARIOS=1000 .venv/bin/pytest tests/fuzz
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 25))  # per operation and role, fuzzing phase (coverage adds its own)
STATEFUL_SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", 100))  # per role
STATEFUL_MAX_STEPS = 10

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",  # positive and negative data
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # The tests send the caller's real token; schemathesis's probes (the ignored_auth check) still
            # send each authenticated request again without credentials and with bogus ones.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"max-steps": STATEFUL_MAX_STEPS}},
        "operations": [
            {
                # DELETE on an invitation revokes it ("its link stops working"); admins still read it, with
                # status "revoked", as the list shows every status. So no use-after-free check on that read.
                "include-operation-id": "organizations_invitations_retrieve",
                "checks": {"use_after_free": {"enabled": False}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application, config=CONFIG)

# Operations that end the session they are called with: each call gets a new session of the caller, so
# that they are fuzzed like the others and the calls after them are still signed in.
# (DELETE /users/me deactivates the account and ends all its sessions; each example is rolled back.)
SESSION_ENDING = {
    "/api/v1/auth/logout",
    "/api/v1/auth/logout-all",
    "/api/v1/auth/password/change",
    "/api/v1/users/me",
}

FUZZ_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def use_real_objects(case, world, only=None) -> None:
    """Point three path parameters in four at the world's objects, so that the fuzzer reaches real tasks,
    members, invitations, jobs and exports and not only 404s. Deterministic (a hash of the generated
    value), and only where the generated value is well-formed: a malformed one stays, as negative data."""
    known = world.known_path_parameters(case.operation.path)
    for name, value in (case.path_parameters or {}).items():
        if name not in known or not isinstance(value, str) or (only is not None and name not in only):
            continue
        if name != "token" and not _is_uuid(value):
            continue
        if zlib.crc32(value.encode()) % 4:
            case.path_parameters[name] = known[name]


def authorization_for(case, world) -> dict:
    return world.fresh_authorization() if case.operation.path in SESSION_ENDING else world.authorization


@contextmanager
def rolled_back(*, clear_cache=False):
    """Each example (each stateful scenario) starts from the same world: what it wrote is rolled back to a
    savepoint. So Hypothesis replays behave as the first run did, and a DELETE in one example does not
    leave the next ones with 404s only. A stateful scenario also empties the cache: it may have revoked
    the caller's own session (DELETE /sessions/{id} with an id GET /sessions gave), and the revocation is
    cached. (A single operation cannot: the session-ending ones get a new session each call.)"""
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        if clear_cache:
            cache.clear()


# --- Scoping two checks ----------------------------------------------------------------------------
#
# positive_data_acceptance says a request that the schema allows must not be refused. Some rules cannot be
# written in an OpenAPI schema: a password must pass Django's validators and the old one must be right, a
# token must be one we issued, a slug or an email must be free, an assignee must be a member, `from` must
# not be after `to`, an upload must be a CSV, a used invitation is gone. Refusals for exactly those
# reasons (status, error code, field) are expected; any other refusal of valid data still fails.
PASSWORD_RULES = {
    ("password_too_short", "password"),
    ("password_too_common", "password"),
    ("password_too_similar", "password"),
    ("password_entirely_numeric", "password"),
}
NEW_PASSWORD_RULES = {(code, "new_password") for code, _ in PASSWORD_RULES}
TASK_PEOPLE = {(code, field) for code in ("does_not_exist", "not_a_member") for field in ("assignee", "mentions")}
REPORT_RANGE = {(code, field) for code in ("invalid_range", "range_too_long", "invalid") for field in ("from", "to")}
CSV_RULES = {  # imports/csv_source.py: a UTF-8 text CSV file with a header and at most IMPORT_MAX_ROWS rows
    (code, "file")
    for code in ("not_csv", "not_utf8", "empty_file", "malformed_csv", "too_many_rows", "empty", "required")
}
INVITATION_GONE = {("invitation_used", None), ("invitation_expired", None), ("invitation_revoked", None)}
AUDIT_LOG_FILTERS = {
    ("invalid", "from"),
    ("invalid", "to"),
    ("invalid", "action"),
    ("invalid_choice", "action"),
    ("invalid_range", "from"),
}
WEBHOOK_URL_RULES = {("invalid", "url"), ("webhook_url_not_allowed", "url")}
ANY_FIELD = {"null_characters_not_allowed"}  # DRF refuses NUL in text, whatever the field
RULES_THE_SCHEMA_CANNOT_STATE = {
    # operationId: {(code, field)}; field is the first part of a dotted path ("mentions.0" -> "mentions")
    "auth_register_create": PASSWORD_RULES | {("email_taken", "email"), ("username_taken", "username")},
    "users_create": PASSWORD_RULES | {("email_taken", "email"), ("username_taken", "username")},
    "auth_password_change_create": NEW_PASSWORD_RULES | {("invalid", "old_password")},
    "auth_password_reset_confirm_create": NEW_PASSWORD_RULES | {("invalid_token", "token")},
    "users_me_partial_update": {
        ("invalid", "current_password"),  # changing the email needs the current password
        ("invalid", "webhook_url"),  # DRF's URL validator is stricter than the "uri" format
        ("webhook_url_not_allowed", "webhook_url"),  # not a public address (SSRF guard)
        ("email_taken", "email"),
        ("username_taken", "username"),
    },
    "users_me_destroy": {("invalid", "password")},  # the password must be the account's
    # Either the link's token, or the email and its code: one or the other, and one we sent.
    "auth_email_verify_create": {
        ("invalid", None),
        ("required", "code"),
        ("required", "email"),
        ("invalid_token", "token"),
        ("invalid_code", "code"),
    },
    # Single sign-on: back only to an allowed address, and only with a state we gave.
    "oauth_authorize_retrieve": {("redirect_uri_not_allowed", "redirect_uri")},
    "oauth_reauthenticate_create": {("redirect_uri_not_allowed", "redirect_uri")},
    "users_me_identities_create": {("redirect_uri_not_allowed", "redirect_uri")},
    "oauth_callback_create": {("invalid_state", None)},
    # The password or an authenticator code, not both; the one given must be right.
    "auth_reauthenticate_create": {
        ("password_or_code", None),
        ("invalid", "password"),
        ("invalid_code", "code"),
        ("mfa_not_enabled", "code"),
    },
    # A token's expiry must be ahead (and within PERSONAL_ACCESS_TOKEN_MAX_DAYS), its organizations the person's.
    "users_me_tokens_create": {
        ("invalid", "expires_at"),
        ("expiry_too_far", "expires_at"),
        ("invalid", "organizations"),
        ("required", "organizations"),
        ("not_a_member", "organizations"),
        ("no_organizations", "all_organizations"),
    },
    # The audit log's `from`/`to` take a date or a date-time, `action` known actions, comma-separated.
    "organizations_audit_log_list": AUDIT_LOG_FILTERS,
    "organizations_audit_log_export_retrieve": AUDIT_LOG_FILTERS,
    # Deleting an organization: the owner's password, and its name typed back exactly.
    "organizations_destroy": {("invalid", "password"), ("name_mismatch", "name")},
    # A webhook URL: DRF's URL validator is stricter than the "uri" format, and no private address (SSRF).
    "organizations_webhooks_create": WEBHOOK_URL_RULES,
    "organizations_webhooks_partial_update": WEBHOOK_URL_RULES,
    "organizations_create": {("unique", "slug")},
    "organizations_partial_update": {("unique", "slug")},
    "organizations_members_create": {("user_not_found", "email")},
    "organizations_imports_create": CSV_RULES,
    "reports_retrieve": REPORT_RANGE,
    "reports_exports_create": REPORT_RANGE,
    "tasks_create": TASK_PEOPLE,
    "tasks_partial_update": TASK_PEOPLE,
    # A bulk change: exactly one change or a delete; every id a task of the organization the caller may change.
    "tasks_bulk_create": {
        ("one_change", None),
        ("one_change", "change"),
        ("not_found", "ids"),
        ("permission_denied", "ids"),
        ("does_not_exist", "change"),
        ("not_a_member", "change"),
    },
    "invitations_retrieve": INVITATION_GONE,
    "invitations_accept_create": INVITATION_GONE,
    # A signed link's token must be one the API signed, for this export, and not expired (403).
    "reports_exports_signed_download_retrieve": {("link_invalid", None), ("link_expired", None)},
    "users_me_export_signed_download_retrieve": {("link_invalid", None), ("link_expired", None)},
}


# RFC 7591 answers its own error object, not the envelope: a redirect URI must be https, or http on a
# loopback address (RFC 8252), which no JSON schema format states.
RFC_ERRORS_THE_SCHEMA_CANNOT_STATE = {"oauth_provider_register_create": {"invalid_redirect_uri"}}


# Conditional and idempotent requests (docs/api/concurrency.md) refuse for the state of the server, which no
# schema states: an If-Match that is well formed but not the resource's ETag, an Idempotency-Key used before
# (in a stateful scenario) with another request, or still running.
STATE_REFUSALS = {412: "precondition_failed", 422: "idempotency_key_reused", 409: "idempotency_key_in_flight"}


def _refused_for_the_servers_state(response) -> bool:
    code = STATE_REFUSALS.get(response.status_code)
    try:
        return code is not None and [error["code"] for error in response.json()["errors"]] == [code]
    except (ValueError, KeyError, TypeError):
        return False


# A header the schema's pattern refuses, sent in a case schemathesis counts as positive (the coverage phase
# mutates one part and fills the others with defaults such as "0"): refused as the negative data it is.
HEADER_PATTERNS = {
    "invalid_if_match": ("If-Match", ETAG_LIST_PATTERN),
    "invalid_idempotency_key": ("Idempotency-Key", idempotency_keys.HEADER_PATTERN),
}


def _refused_for_a_malformed_header(case, response) -> bool:
    try:
        (error,) = response.json()["errors"]
    except (ValueError, KeyError, TypeError):
        return False
    header, pattern = HEADER_PATTERNS.get(error["code"], (None, None))
    value = {name.lower(): value for name, value in (case.headers or {}).items()}.get((header or "").lower())
    return value is not None and not re.fullmatch(pattern, value)


def _refused_for_a_rule_the_schema_cannot_state(case, response) -> bool:
    if _refused_for_the_servers_state(response) or _refused_for_a_malformed_header(case, response):
        return True
    if response.status_code not in (400, 403, 410):
        return False
    operation_id = case.operation.definition.raw.get("operationId")
    try:
        body = response.json()
        if "error" in body and "errors" not in body:
            return body["error"] in RFC_ERRORS_THE_SCHEMA_CANNOT_STATE.get(operation_id, set())
        errors = body["errors"]
    except (ValueError, KeyError, TypeError):
        return False
    allowed = RULES_THE_SCHEMA_CANNOT_STATE.get(operation_id, set())
    body = case.body if isinstance(case.body, dict) else {}
    for error in errors:
        field = error["field"].split(".")[0] if error["field"] else None
        if error["code"] in ANY_FIELD or (error["code"], field) in allowed:
            continue
        # DRF trims text, so "  " is blank; the schema's minLength counts the spaces.
        if error["code"] == "blank" and isinstance(body.get(field), str) and not body[field].strip():
            continue
        return False
    return bool(errors)


# negative_data_rejection says a request that the schema forbids must be refused. These leniencies are by
# design (and tested elsewhere), so a request whose only violations are among them is not a failure:
# - a query parameter sent empty (`?assignee=`) means absent, as an HTML form sends it (django-filter, reports),
#   and query parameters the schema does not list are ignored;
# - `page_size` that is not a whole number means the default page size (DRF; tests/config/test_pagination.py);
# - in a body, DRF converts a JSON scalar of another type when it can for numbers and booleans
#   (`"weekly_email": 1` is true; one it cannot convert is refused, so still checked), never into a string
#   (`"slug": 0` is a 400: tests/config/test_strict_input.py), and trims text before checking its length
#   (a name of 150 characters and a leading space is 150 characters long).
LENIENT_QUERY_PARAMETERS = {"page_size"}
SCALARS = (str, int, float, bool)


def _parsed_leniently(keywords, value) -> bool:
    """Whether a value that breaks these schema keywords is one DRF's parsing makes acceptable."""
    if keywords == ("type",):
        return isinstance(value, SCALARS)
    if keywords == ("maxLength",):
        return isinstance(value, str) and value != value.strip()
    return False


def _violations(case) -> list[tuple[str, str | None, bool]]:
    """(location, parameter or body property, whether it is a leniency of parsing: a body value DRF converts
    or trims, query parameters the schema does not list)."""
    data = case.meta.phase.data if case.meta is not None else None
    if data is None:
        return []
    mutations = getattr(data, "mutations", ())
    if mutations:
        violations = []
        for m in mutations:
            location = m.parameter_location.value
            if location == "body":
                violations.append((location, m.path[0] if m.path else None, _parsed_leniently(m.keywords, m.new_value)))
            else:
                violations.append((location, m.parameter, m.keywords == ("additionalProperties",)))
        return violations
    location = getattr(data.parameter_location, "value", None)
    if location == "body":
        match = re.match(r"^(\w+): Incorrect type$", data.description or "")
        name = match.group(1) if match else None
        body = case.body if isinstance(case.body, dict) else {}
        retyped = getattr(data, "scenario", None) == CoverageScenario.INCORRECT_TYPE
        return [(location, name, retyped and _parsed_leniently(("type",), body.get(name)))]
    return [(location, data.parameter, False)]


def _sent_empty(value) -> bool:
    # {} and [] go out as "name=" (or not at all), as "" does; so does a list of blanks (`?status=&status=`,
    # `?ordering=,`): a filter of several values reads only the values that are not blank.
    if isinstance(value, list):
        return all(item == "" for item in value)
    if isinstance(value, str):
        return not value.replace(",", "").strip()  # "," is two blank values of a comma-separated parameter
    return value == {}


def _violates_only_a_lenient_rule(case) -> bool:
    violations = _violations(case)
    for location, name, parsed_leniently in violations:
        if location == "query" and (
            parsed_leniently or name in LENIENT_QUERY_PARAMETERS or _sent_empty((case.query or {}).get(name))
        ):
            continue
        if location == "body" and parsed_leniently:
            continue
        return False
    return bool(violations)


@schema.hook
def filter_failure(context, failure, case, response):
    if isinstance(failure, RejectedPositiveData):
        return not _refused_for_a_rule_the_schema_cannot_state(case, response)
    if isinstance(failure, AcceptedNegativeData):
        # A precondition is evaluated before the body is (RFC 9110 §13.2.1): an invalid body meets 412 first.
        return not (_violates_only_a_lenient_rule(case) or _refused_for_the_servers_state(response))
    return True


# --- The tests ---------------------------------------------------------------------------------------


@pytest.fixture
def streams_end_at_once(settings):
    """The live stream (GET /events) never ends by itself, and the WSGI client reads a body to its end: here
    each stream ends (``event: end``, reason ``reconnect``) as soon as it has sent its opening."""
    settings.EVENTS_WSGI_STREAM_SECONDS = 0.001


@pytest.fixture(params=ROLES)
def fuzz_world(
    request, db, wsgi_requests_keep_connection, generous_rate_limits, sso_provider_on_loopback, streams_end_at_once
):
    return build_fuzz_world(request.param)


@schema.parametrize()
@FUZZ_SETTINGS
def test_operation(case, fuzz_world, fuzz_stats, django_capture_on_commit_callbacks):
    use_real_objects(case, fuzz_world)
    # What the request queues on commit (imports, exports, notification deliveries) runs too, eagerly.
    with rolled_back(), django_capture_on_commit_callbacks(execute=True):
        response = case.call_and_validate(headers=authorization_for(case, fuzz_world))
    fuzz_stats.record(case, response)


@pytest.fixture(params=ROLES)
def state_machine(
    request,
    db,
    wsgi_requests_keep_connection,
    generous_rate_limits,
    sso_provider_on_loopback,
    fuzz_stats,
    django_capture_on_commit_callbacks,
    streams_end_at_once,
):
    """Our schema declares no OpenAPI links: schemathesis infers them from it (an operation that answers an
    `id` feeds the `{id}` of the operations on that resource, e.g. POST /tasks -> PATCH /tasks/{id}, and
    POST /organizations -> POST /organizations/{organization_id}/invitations), and this machine chains them, signed in
    as the caller, for at most STATEFUL_MAX_STEPS calls per scenario."""
    world = build_fuzz_world(request.param)

    class Machine(schema.as_state_machine()):
        def setup(self):
            self._scenario = rolled_back(clear_cache=True)
            self._scenario.__enter__()

        def teardown(self):
            self._scenario.__exit__(None, None, None)

        def step(self, input):
            # Only ids the fuzzer drew are pointed at the world's objects; those a link carried stay.
            applied = {name for location, name in input.applied_parameters if location.value == "path"}
            known = world.known_path_parameters(input.case.operation.path)
            use_real_objects(input.case, world, only=set(known) - applied)
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"headers": authorization_for(case, world)}

        def call(self, case, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                response = case.call(**kwargs)
            fuzz_stats.record(case, response)
            return response

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # As call_and_validate does: the checks learn that the Authorization header is ours, not generated.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return Machine


def test_stateful(state_machine):
    state_machine.run(
        settings=settings(
            FUZZ_SETTINGS,
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_MAX_STEPS,
            database=None,
        )
    )


@pytest.mark.django_db
def test_every_path_parameter_has_a_real_value():
    """A new endpoint with a path parameter needs an object of the world (tests/fuzz/conftest.py) to point at;
    without one the fuzzer would only ever see its 404."""
    world = build_fuzz_world("owner")
    missing = []
    for result in schema.get_all_operations():
        operation = result.ok()
        known = world.known_path_parameters(operation.path)
        missing += [f"{operation.label}: {p.name}" for p in operation.path_parameters if p.name not in known]
    assert missing == []


# --- The scoping stays narrow ------------------------------------------------------------------------


def _case(operation_id="tasks_create", body=None, query=None, mutations=(), headers=None):
    data = SimpleNamespace(mutations=tuple(mutations), parameter=None, parameter_location=None, description=None)
    return SimpleNamespace(
        operation=SimpleNamespace(definition=SimpleNamespace(raw={"operationId": operation_id})),
        body=body or {},
        query=query or {},
        headers=headers or {},
        meta=SimpleNamespace(phase=SimpleNamespace(data=data)),
    )


def _refusal(status, *errors):
    body = {"success": False, "errors": [{"code": code, "field": field, "message": ""} for code, field in errors]}
    return SimpleNamespace(status_code=status, json=lambda: body)


def _mutation(location, name, keywords, value):
    return SimpleNamespace(
        parameter_location=SimpleNamespace(value=location),
        parameter=name if location != "body" else None,
        path=(name,) if location == "body" else (),
        keywords=keywords,
        new_value=value,
    )


def test_only_the_listed_refusals_of_valid_data_are_expected():
    expected = _refused_for_a_rule_the_schema_cannot_state
    assert expected(_case(), _refusal(400, ("does_not_exist", "mentions.0")))
    assert expected(_case(body={"title": "  "}), _refusal(400, ("blank", "title")))
    assert not expected(_case(), _refusal(400, ("required", "title")))  # a schema that lies: still a failure
    assert not expected(_case(), _refusal(400, ("does_not_exist", "assignee"), ("invalid", "due_date")))
    assert not expected(_case("tasks_partial_update"), _refusal(500, ("server_error", None)))
    assert not expected(_case("organizations_create"), _refusal(400, ("does_not_exist", "assignee")))
    # The server's state (docs/api/concurrency.md), and a header the schema's pattern refuses.
    assert expected(_case("tasks_partial_update"), _refusal(412, ("precondition_failed", None)))
    assert expected(_case(), _refusal(422, ("idempotency_key_reused", None)))
    assert expected(_case(), _refusal(409, ("idempotency_key_in_flight", None)))
    assert not expected(_case(), _refusal(409, ("conflict", None)))
    assert expected(_case(headers={"Idempotency-Key": 'a"b'}), _refusal(400, ("invalid_idempotency_key", None)))
    assert not expected(_case(headers={"Idempotency-Key": "ab"}), _refusal(400, ("invalid_idempotency_key", None)))
    assert expected(_case(headers={"If-Match": "0"}), _refusal(400, ("invalid_if_match", None)))
    assert not expected(_case(headers={"If-Match": '"0"'}), _refusal(400, ("invalid_if_match", None)))


def test_only_the_listed_leniencies_for_invalid_data_are_expected():
    lenient = _violates_only_a_lenient_rule
    assert lenient(_case(mutations=[_mutation("body", "slug", ("type",), 0)]))
    assert lenient(_case(mutations=[_mutation("body", "name", ("maxLength",), "\fname")]))
    assert lenient(_case(query={"page_size": "x"}, mutations=[_mutation("query", "page_size", ("type",), "x")]))
    assert lenient(_case(query={"assignee": ""}, mutations=[_mutation("query", "assignee", ("format",), "")]))
    assert not lenient(_case(mutations=[_mutation("body", "title", ("maxLength",), "x" * 500)]))
    assert not lenient(_case(mutations=[_mutation("body", "slug", ("type",), [0])]))
    assert not lenient(_case(query={"status": "x"}, mutations=[_mutation("query", "status", ("enum",), "x")]))
    both = [_mutation("body", "slug", ("type",), 0), _mutation("body", "role", ("enum",), "king")]
    assert not lenient(_case(mutations=both))
