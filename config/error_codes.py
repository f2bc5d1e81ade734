"""The catalogue of the error envelope's codes: every ``code`` a client can meet, with its statuses and meaning.

The OpenAPI schema shows it on the envelope's ``code`` (``config.schema.ErrorSerializer``) and
docs/api/errors.md holds the same table; ``tests/config/test_error_codes.py`` fails on a code raised
anywhere in the apps that is missing here, and on a docs table that differs from this one.
"""

from typing import NamedTuple


class ErrorCode(NamedTuple):
    statuses: str
    meaning: str


# The framework's own codes (DRF fields and exceptions) come first; then the project's, alphabetically.
FRAMEWORK_CODES = {
    "required": ErrorCode("400", "A required field is missing."),
    "invalid": ErrorCode("400", "The value is not valid for its field (format, type, a rule on several fields)."),
    "blank": ErrorCode("400", "The field may not be blank."),
    "null": ErrorCode("400", "The field may not be null."),
    "max_length": ErrorCode("400", "The value is longer than the field allows."),
    "min_length": ErrorCode("400", "The value is shorter than the field needs."),
    "max_value": ErrorCode("400", "The number is above the field's maximum."),
    "min_value": ErrorCode("400", "The number is below the field's minimum."),
    "max_string_length": ErrorCode("400", "The number is too long to be read."),
    "invalid_choice": ErrorCode("400", "The value is not one of the field's choices (the schema's enum)."),
    "not_a_list": ErrorCode("400", "The field takes a list."),
    "not_a_dict": ErrorCode("400", "The field takes an object."),
    "empty": ErrorCode("400", "The list may not be empty."),
    "does_not_exist": ErrorCode("400", "An id in the body names nothing the caller can use."),
    "incorrect_type": ErrorCode("400", "An id in the body has the wrong type."),
    "unique": ErrorCode("400", "Another resource already has this value (e.g. an organization's slug)."),
    "parse_error": ErrorCode("400", "The body is not valid JSON, or is nested too deeply."),
    "not_authenticated": ErrorCode(
        "401",
        "No credentials were sent: sign in and send `Authorization: Bearer`; single sign-on: finish in the "
        "browser session that started it.",
    ),
    "authentication_failed": ErrorCode("401", "The credentials are not valid."),
    "permission_denied": ErrorCode("403", "Signed in, but the role (or the account) does not allow this."),
    "not_found": ErrorCode(
        "404",
        "No such resource, or it belongs to an organization the caller is not in; on a path that is real but "
        "for its trailing slash, `suggested_path` names the right one.",
    ),
    "method_not_allowed": ErrorCode("405", "The path does not take this method (see `Allow`)."),
    "not_acceptable": ErrorCode("406", "No representation matches `Accept` (or `?format=`)."),
    "unsupported_media_type": ErrorCode("415", "The body's `Content-Type` is not one the endpoint reads."),
}

PROJECT_CODES = {
    "account_link_required": ErrorCode(
        "409", "Single sign-on found an account with this email: sign in with the password, then link the provider."
    ),
    "bad_request": ErrorCode("400", "The request could not be read (malformed headers or body)."),
    "conflict": ErrorCode(
        "409",
        "The request clashes with the current state: the last owner leaving or demoted, already a member, an "
        "invitation already pending or closed.",
    ),
    "csrf_failed": ErrorCode(
        "403", "A request that uses the refresh cookie did not send the `X-CSRFToken` header matching `csrf_token`."
    ),
    "email_already_verified": ErrorCode("409", "This email address is already verified."),
    "email_not_verified": ErrorCode(
        "400, 403",
        "The account's email is not verified: 400 when adding such an account to an organization; 403 when "
        "signing in with `REQUIRE_VERIFIED_EMAIL_TO_SIGN_IN`, or through a provider that has not verified it.",
    ),
    "email_required": ErrorCode("403", "The identity provider did not share an email address."),
    "email_taken": ErrorCode("409", "Another account has this email address."),
    "empty_file": ErrorCode("400", "The uploaded CSV file is empty."),
    "expiry_too_far": ErrorCode("400", "A personal access token's `expires_at` is later than the maximum allowed."),
    "export_expired": ErrorCode("410", "A report export's file was deleted by retention: request a new export."),
    "export_failed": ErrorCode("409", "The data export failed: start a new one."),
    "export_not_ready": ErrorCode("409", "The export is not built yet: poll its state."),
    "gone": ErrorCode("410", "It existed but can no longer be used."),
    "idempotency_key_in_flight": ErrorCode(
        "409", "The first request with this `Idempotency-Key` is still running: retry after `Retry-After`."
    ),
    "idempotency_key_reused": ErrorCode(
        "422", "This `Idempotency-Key` was sent before with another request (method, path or body)."
    ),
    "identity_in_use": ErrorCode("409", "This provider identity is already linked to another account."),
    "identity_mismatch": ErrorCode("403", "The provider identity is not the one linked to the signed-in account."),
    "identity_not_linked": ErrorCode("409", "No identity of this provider is linked to the account."),
    "insufficient_scope": ErrorCode(
        "403",
        "A delegated credential (personal access token, OAuth access token) lacks the scope the endpoint needs, "
        "named in `WWW-Authenticate`.",
    ),
    "invalid_client_metadata": ErrorCode("400", "OAuth client registration: a client metadata field is not valid."),
    "invalid_code": ErrorCode(
        "400, 401",
        "A one-time code (second factor, recovery code, email verification code) is wrong or used; 401 at "
        "`/auth/login/mfa`.",
    ),
    "invalid_credentials": ErrorCode("401", "Email/username or password is incorrect."),
    "invalid_discord_user_id": ErrorCode("400", "A Discord user id is 17 to 20 digits."),
    "invalid_idempotency_key": ErrorCode("400", "An `Idempotency-Key` that is empty, too long or not printable ASCII."),
    "invalid_if_match": ErrorCode("400", "An `If-Match` header that cannot be read as `*` or a list of ETags."),
    "invalid_id_token": ErrorCode("400", "The identity provider's ID token could not be verified."),
    "invalid_cursor": ErrorCode("404", "A cursor the API did not give (the audit log's cursor pages)."),
    "invalid_page": ErrorCode("404", "A page past the last one, or not a page number."),
    "invalid_range": ErrorCode("400", "`from` is after `to`."),
    "invalid_redirect_uri": ErrorCode("400", "OAuth client registration: a redirect URI is missing or not allowed."),
    "invalid_state": ErrorCode(
        "400", "The single sign-on attempt is unknown, expired, already used or was started in another browser."
    ),
    "invalid_ticket": ErrorCode("401", "A live-stream ticket (`?ticket=` of `GET /events`) is unknown or expired."),
    "invalid_token": ErrorCode(
        "400, 401",
        "A token is unknown, revoked or expired: 401 for a delegated credential (with `WWW-Authenticate: Bearer "
        'error="invalid_token"`), 400 for an email verification or password reset token.',
    ),
    "invalid_username": ErrorCode("400", "A username has characters it may not have."),
    "invitation_email_mismatch": ErrorCode("403", "The invitation was sent to another email address."),
    "invitation_expired": ErrorCode("410", "The invitation expired."),
    "invitation_revoked": ErrorCode("410", "The invitation was revoked."),
    "invitation_used": ErrorCode("410", "The invitation was already accepted."),
    "last_owner": ErrorCode(
        "409",
        "Deleting the account of an organization's last owner; the entry lists the `organizations` to hand over.",
    ),
    "last_sign_in_method": ErrorCode(
        "409", "Unlinking the account's only way to sign in: set a password or link another provider first."
    ),
    "link_expired": ErrorCode(
        "403", "A signed link (a report export's `download_url`) expired: read the resource again for a new one."
    ),
    "link_invalid": ErrorCode("403", "A signed link was altered, has no token, or was made for something else."),
    "malformed_csv": ErrorCode("400", "The uploaded file could not be read as CSV."),
    "mfa_already_enabled": ErrorCode("409", "The account already has a second factor."),
    "mfa_not_enabled": ErrorCode("400, 409", "The account has no second factor."),
    "mfa_required": ErrorCode("403", "The organization requires a second factor, and the account has none."),
    "mfa_token_expired": ErrorCode("401", "The sign-in's second-factor step took too long: sign in again."),
    "mfa_token_invalid": ErrorCode("401", "The `mfa_token` is not valid."),
    "missing_column": ErrorCode("400", "An import's CSV header lacks a column its kind requires."),
    "name_mismatch": ErrorCode("400", "Deleting an organization: the confirmation is not its name."),
    "no_organizations": ErrorCode("400", "A personal access token must name at least one organization."),
    "not_a_member": ErrorCode("400", "The person named (an assignee, a mention) is not a member of the organization."),
    "not_csv": ErrorCode("400", "The uploaded file is not a CSV file."),
    "not_utf8": ErrorCode("400", "The uploaded file is not UTF-8 text."),
    "one_change": ErrorCode("400", "`POST /tasks/bulk` takes exactly one change, or `delete: true`."),
    "origin_not_allowed": ErrorCode("403", "`/mcp`: a browser `Origin` other than the site's or an allowed one."),
    "password_or_code": ErrorCode("400", "Send either the password or a second-factor code, not both or neither."),
    "payload_too_large": ErrorCode("413", "The request body is larger than the endpoint accepts."),
    "precondition_failed": ErrorCode(
        "412", "`If-Match` no longer names the resource's `ETag`: `current` holds the resource as it is now."
    ),
    "provider_bad_response": ErrorCode("502", "The identity provider answered something unexpected."),
    "provider_error": ErrorCode("400", "The identity provider refused or cancelled the sign-in."),
    "provider_not_found": ErrorCode("404", "No single sign-on provider of that name is configured."),
    "provider_unavailable": ErrorCode("503", "The identity provider cannot be reached."),
    "range_too_long": ErrorCode("400", "The date range is longer than the maximum (`REPORT_MAX_DAYS`)."),
    "rate_limited": ErrorCode("429", "Too many requests or attempts: wait for `Retry-After` seconds."),
    "reauthentication_required": ErrorCode(
        "403", "A sensitive action needs the identity confirmed again (`POST /auth/reauthenticate`)."
    ),
    "redirect_uri_not_allowed": ErrorCode("400", "The single sign-on `redirect_uri` is not in `SSO_REDIRECT_URIS`."),
    "refresh_token_reused": ErrorCode(
        "401", "A refresh token was used twice: the session is signed out, as the token may have been stolen."
    ),
    "registration_closed": ErrorCode("403", "Open registration is off on this server."),
    "repeated_parameter": ErrorCode("400", "A query parameter that takes one value was given more than once."),
    "restore_window_over": ErrorCode("410", "The organization was deleted too long ago to be restored."),
    "server_error": ErrorCode("500", "Unexpected: logged with the request id, which the message quotes."),
    "service_unavailable": ErrorCode(
        "503", "The database (or, for sign-in, the rate-limit store) cannot be reached: retry after `Retry-After`."
    ),
    "session_expired": ErrorCode("401", "The session expired: sign in again."),
    "session_not_found": ErrorCode("401", "The access token belongs to no session."),
    "session_revoked": ErrorCode("401", "The session was signed out (here, elsewhere, or by an administrator)."),
    "slug_taken": ErrorCode("409", "Restoring an organization whose slug another organization has taken since."),
    "task_deleted": ErrorCode("409", "Restoring a comment whose task is deleted: restore the task."),
    "ticket_used": ErrorCode("401", "A live-stream ticket was already used: ask `POST /events/tickets` for a new one."),
    "token_not_valid": ErrorCode("401", "The access or refresh token is malformed, expired or of the wrong type."),
    "too_many": ErrorCode("400", "More values for one filter than it takes (100)."),
    "too_many_rows": ErrorCode("400", "The uploaded CSV has more rows than an import takes."),
    "too_many_tokens": ErrorCode("400", "The person has as many personal access tokens as allowed."),
    "totp_enrolment_not_started": ErrorCode("409", "Confirming a TOTP enrolment that was not started."),
    "user_inactive": ErrorCode("401", "The account is disabled."),
    "user_not_found": ErrorCode("400", "No account has this email or username."),
    "username_taken": ErrorCode("409", "Another account has this username."),
    "verification_expired": ErrorCode("410", "The email verification expired: ask for a new one."),
    "verification_used": ErrorCode("410", "The email verification was already used."),
    "webhook_url_not_allowed": ErrorCode(
        "400", "A webhook URL that is not allowed (not https in production, or a private or loopback address)."
    ),
}

ERROR_CODES = {**FRAMEWORK_CODES, **PROJECT_CODES}


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (the schema's description of ``code``, docs/api/errors.md)."""
    rows = [f"| `{code}` | {entry.statuses} | {entry.meaning} |" for code, entry in ERROR_CODES.items()]
    return "\n".join(["| code | status | meaning |", "|---|---|---|", *rows])
