"""Files: static files, uploaded media and built files (local or a shared bucket), and how big a request body may be."""

from django.core.exceptions import ImproperlyConfigured

from .env import BASE_DIR, env

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

_ADDRESSING_STYLES = ("auto", "virtual", "path")
# SigV4 links live at most a week.
_PRESIGNED_URL_MAX_SECONDS = 7 * 24 * 3600


def media_storage() -> dict:
    """``STORAGES["default"]``, where uploads and built files go: ``STORAGE_BACKEND`` ``local`` (files under
    ``MEDIA_ROOT``, one host) or ``s3`` (a bucket every web process and worker shares, docs/storage.md).
    A bucket without a name, or half a pair of keys, fails at start rather than at the first upload."""
    backend = env.str("STORAGE_BACKEND", default="local")
    if backend == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if backend != "s3":
        raise ImproperlyConfigured(f"STORAGE_BACKEND must be local or s3, not {backend!r}.")
    bucket = env.str("STORAGE_S3_BUCKET", default="")
    if not bucket:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs STORAGE_S3_BUCKET, the name of the bucket.")
    addressing_style = env.str("STORAGE_S3_ADDRESSING_STYLE", default="auto")
    if addressing_style not in _ADDRESSING_STYLES:
        raise ImproperlyConfigured(f"STORAGE_S3_ADDRESSING_STYLE must be one of {', '.join(_ADDRESSING_STYLES)}.")
    lifetime = env.int("STORAGE_S3_PRESIGNED_URL_SECONDS", default=300)
    if not 1 <= lifetime <= _PRESIGNED_URL_MAX_SECONDS:
        raise ImproperlyConfigured(f"STORAGE_S3_PRESIGNED_URL_SECONDS must be 1 to {_PRESIGNED_URL_MAX_SECONDS}.")
    access_key = env.str("STORAGE_S3_ACCESS_KEY_ID", default="")
    secret_key = env.str("STORAGE_S3_SECRET_ACCESS_KEY", default="")
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "Set both STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY, or neither (boto3's own chain then: "
            "AWS_* variables, a profile, the instance's or pod's role)."
        )
    timeout = env.float("STORAGE_S3_TIMEOUT_SECONDS", default=10)
    if timeout <= 0:
        raise ImproperlyConfigured("STORAGE_S3_TIMEOUT_SECONDS must be more than 0.")
    from botocore.config import Config

    return {
        "BACKEND": "config.storage.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env.str("STORAGE_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("STORAGE_S3_REGION", default="") or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # botocore waits 60 s to connect and to read, five times over, by default: a bucket that cannot be
            # reached would hold a web thread for minutes before its 503. Bounded, and retried in botocore's
            # standard mode (3 attempts, with jitter) as AWS recommends.
            "client_config": Config(
                s3={"addressing_style": None if addressing_style == "auto" else addressing_style},
                signature_version="s3v4",
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"mode": "standard", "max_attempts": 3},
            ),
            # Every key starts with it (no leading or trailing slash): several deployments can share a bucket.
            "location": env.str("STORAGE_S3_KEY_PREFIX", default="").strip("/"),
            "querystring_expire": lifetime,
            # Names are made of ids, so a name is never taken twice: no existence check before each save.
            "file_overwrite": True,
            # Objects stay private: only presigned links read them.
            "default_acl": None,
            "querystring_auth": True,
        },
    }


STORAGES = {
    "default": media_storage(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Production serves static files with WhiteNoise (production.py), media from the storage above.

# Uploads bigger than this are streamed to disk instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
