"""Signing in: accounts, JWTs, sessions, invitations and password rules (rate limits: ratelimits.py)."""

from datetime import timedelta

from .core import SECRET_KEY, SECRET_KEY_FALLBACKS
from .env import env

AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrUsernameBackend"]
REGISTRATION_OPEN = env.bool("REGISTRATION_OPEN", default=True)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)  # seconds
# How long an email verification (its link and its code) stays valid, in seconds.
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT", default=24 * 60 * 60)
# Wrong codes a verification takes before it must be sent again.
EMAIL_VERIFICATION_CODE_ATTEMPTS = env.int("EMAIL_VERIFICATION_CODE_ATTEMPTS", default=5)
# Refuse sign-in (403 email_not_verified) to accounts whose email is not verified yet.
REQUIRE_VERIFIED_EMAIL_TO_SIGN_IN = env.bool("REQUIRE_VERIFIED_EMAIL_TO_SIGN_IN", default=False)
# How long a session's state may be served from the cache; bounds revocation lag only if the
# cache could not be told of a revocation (Redis down at that moment).
SESSION_STATE_CACHE_SECONDS = env.int("SESSION_STATE_CACHE_SECONDS", default=60)
# How long a person's user row, organizations, roles and second factor may be served from the cache
# (config.person_cache); every change through the ORM drops them at once, so this bounds the lag only of
# changes made outside it (SQL by hand) or while the cache could not be told.
PERSON_CACHE_SECONDS = env.int("PERSON_CACHE_SECONDS", default=60)
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)

# How long after signing in (or POST /auth/reauthenticate) sensitive changes may be made without
# confirming one's identity again.
REAUTHENTICATION_WINDOW_SECONDS = env.int("REAUTHENTICATION_WINDOW_SECONDS", default=5 * 60)

# Personal access tokens (pats/): the farthest expiry a person may give one, in days (at most a year).
PERSONAL_ACCESS_TOKEN_MAX_DAYS = min(env.int("PERSONAL_ACCESS_TOKEN_MAX_DAYS", default=365), 365)

# Second factor (mfa/). How long the mfa_token that /auth/login answers to an account with a second
# factor stays usable, and how many wrong codes it takes before it is spent.
MFA_TOKEN_SECONDS = env.int("MFA_TOKEN_SECONDS", default=5 * 60)
MFA_TOKEN_MAX_ATTEMPTS = env.int("MFA_TOKEN_MAX_ATTEMPTS", default=5)
# The issuer an authenticator app shows beside the account (the otpauth:// URI's issuer).
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Team Workspace")
OTP_TOTP_ISSUER = MFA_TOTP_ISSUER
# django-otp's own back-off after a wrong TOTP code: 1 s, 2 s, 4 s... times this factor.
OTP_TOTP_THROTTLE_FACTOR = env.int("MFA_TOTP_THROTTLE_FACTOR", default=1)

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The JWT key of its own, if any; without one, JWTs are signed with DJANGO_SECRET_KEY.
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="")
# Previous JWT signing keys, still accepted when checking a token (never used to sign), until the
# tokens they signed have expired: rotating the key signs no one out (sessions_app/tokens.py,
# docs/operations.md#rotating-keys). Without a key of its own, the secret key's fallbacks.
JWT_SIGNING_KEY_FALLBACKS = (
    env.list("JWT_SIGNING_KEY_FALLBACKS", default=[]) if JWT_SIGNING_KEY else list(SECRET_KEY_FALLBACKS)
)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ALGORITHM": "HS256",
    # DJANGO_SECRET_KEY unless a key of its own is given. Production requires DJANGO_SECRET_KEY, so
    # the key here is never the development default there.
    "SIGNING_KEY": JWT_SIGNING_KEY or SECRET_KEY,
    # Session tokens checked under the signing key, then its fallbacks (sessions_app/tokens.py).
    "AUTH_TOKEN_CLASSES": ("sessions_app.tokens.SessionAccessToken",),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}
# Browser frontends: the refresh token in an HttpOnly, Secure, SameSite=Strict cookie instead of
# the body (sessions_app/cookies.py).
JWT_REFRESH_COOKIE = env.bool("JWT_REFRESH_COOKIE", default=False)
JWT_REFRESH_COOKIE_NAME = env.str("JWT_REFRESH_COOKIE_NAME", default="refresh_token")
