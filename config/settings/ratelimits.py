"""Rate limits (config/ratelimit.py): every request's class, the anonymous ceiling, and the guess limits.

A rate is ``N/period``: ``s``, ``m``, ``h`` or ``d``, optionally with a count (``15m``, ``60s``).
"""

from .env import env


def _times(rate: str, factor: int) -> str:
    count, period = rate.split("/")
    return f"{int(count) * factor}/{period}"


def rate_limits(*, classes: int = 1, guesses: int = 1) -> dict[str, str]:
    """Every limit, from the environment; the defaults multiplied by ``classes`` (the endpoint classes and the
    anonymous ceiling) and ``guesses`` (the per-endpoint guess limits). A value set in the environment is
    taken as it is: development (``local.py``) and the tests raise only the defaults."""
    return {
        # --- Every request, by endpoint class: per signed-in user, or per client IP without one.
        "read_user": env.str("RATELIMIT_READ_USER", default=_times("600/m", classes)),
        "read_ip": env.str("RATELIMIT_READ_IP", default=_times("100/m", classes)),
        "write_user": env.str("RATELIMIT_WRITE_USER", default=_times("120/m", classes)),
        "write_ip": env.str("RATELIMIT_WRITE_IP", default=_times("30/m", classes)),
        "upload_user": env.str("RATELIMIT_UPLOAD_USER", default=_times("20/h", classes)),
        "upload_ip": env.str("RATELIMIT_UPLOAD_IP", default=_times("10/h", classes)),
        "export_user": env.str("RATELIMIT_EXPORT_USER", default=_times("30/h", classes)),
        "export_ip": env.str("RATELIMIT_EXPORT_IP", default=_times("30/h", classes)),
        "auth_user": env.str("RATELIMIT_AUTH_USER", default=_times("60/m", classes)),
        "auth_ip": env.str("RATELIMIT_AUTH_IP", default=_times("60/m", classes)),
        # Every request without a signed-in caller, whatever its class, per client IP.
        "anonymous_ip": env.str("RATELIMIT_ANONYMOUS_IP", default=_times("100/m", classes)),
        # --- Endpoints that take guesses (a password, a code), counted on top of their class.
        "login_ip": env.str("RATELIMIT_LOGIN_IP", default=_times("20/m", guesses)),
        "login_account": env.str("RATELIMIT_LOGIN_ACCOUNT", default=_times("10/15m", guesses)),
        "refresh": env.str("RATELIMIT_REFRESH", default=_times("60/m", guesses)),
        "register": env.str("RATELIMIT_REGISTER", default=_times("10/h", guesses)),
        "password_reset_ip": env.str("RATELIMIT_PASSWORD_RESET_IP", default=_times("10/h", guesses)),
        "password_reset_account": env.str("RATELIMIT_PASSWORD_RESET_ACCOUNT", default=_times("5/h", guesses)),
        "password_change_ip": env.str("RATELIMIT_PASSWORD_CHANGE_IP", default=_times("20/h", guesses)),
        "password_change_account": env.str("RATELIMIT_PASSWORD_CHANGE_ACCOUNT", default=_times("5/15m", guesses)),
        "reauthenticate_ip": env.str("RATELIMIT_REAUTHENTICATE_IP", default=_times("20/h", guesses)),
        "reauthenticate_account": env.str("RATELIMIT_REAUTHENTICATE_ACCOUNT", default=_times("5/15m", guesses)),
        "data_export": env.str("RATELIMIT_DATA_EXPORT", default=_times("3/d", guesses)),
        "email_verify_ip": env.str("RATELIMIT_EMAIL_VERIFY_IP", default=_times("30/h", guesses)),
        "email_verify_account": env.str("RATELIMIT_EMAIL_VERIFY_ACCOUNT", default=_times("10/h", guesses)),
        "email_resend_ip": env.str("RATELIMIT_EMAIL_RESEND_IP", default=_times("10/h", guesses)),
        "email_resend_account": env.str("RATELIMIT_EMAIL_RESEND_ACCOUNT", default=_times("3/h", guesses)),
        "email_change_ip": env.str("RATELIMIT_EMAIL_CHANGE_IP", default=_times("20/h", guesses)),
        "email_change_account": env.str("RATELIMIT_EMAIL_CHANGE_ACCOUNT", default=_times("5/h", guesses)),
        "mfa_enrol_ip": env.str("RATELIMIT_MFA_ENROL_IP", default=_times("20/h", guesses)),
        "mfa_enrol_account": env.str("RATELIMIT_MFA_ENROL_ACCOUNT", default=_times("10/h", guesses)),
        "mfa_confirm_ip": env.str("RATELIMIT_MFA_CONFIRM_IP", default=_times("20/h", guesses)),
        "mfa_confirm_account": env.str("RATELIMIT_MFA_CONFIRM_ACCOUNT", default=_times("10/15m", guesses)),
        "mfa_login_ip": env.str("RATELIMIT_MFA_LOGIN_IP", default=_times("20/m", guesses)),
        "mfa_login_account": env.str("RATELIMIT_MFA_LOGIN_ACCOUNT", default=_times("10/15m", guesses)),
        "mfa_disable_ip": env.str("RATELIMIT_MFA_DISABLE_IP", default=_times("20/h", guesses)),
        "mfa_disable_account": env.str("RATELIMIT_MFA_DISABLE_ACCOUNT", default=_times("5/15m", guesses)),
        "mfa_recovery_codes_ip": env.str("RATELIMIT_MFA_RECOVERY_CODES_IP", default=_times("20/h", guesses)),
        "mfa_recovery_codes_account": env.str("RATELIMIT_MFA_RECOVERY_CODES_ACCOUNT", default=_times("5/h", guesses)),
        "sso_authorize_ip": env.str("RATELIMIT_SSO_AUTHORIZE_IP", default=_times("30/m", guesses)),
        "sso_callback_ip": env.str("RATELIMIT_SSO_CALLBACK_IP", default=_times("20/m", guesses)),
        "token_create_account": env.str("RATELIMIT_TOKEN_CREATE_ACCOUNT", default=_times("10/h", guesses)),
        "oauth_register_ip": env.str("RATELIMIT_OAUTH_REGISTER_IP", default=_times("20/h", guesses)),
    }


RATE_LIMITS = rate_limits()
