"""Production settings, the deploy checks, and the container files (no Docker engine runs here)."""

from pathlib import Path

import pytest
import yaml

from devtools.processes import rsa_private_key_pem

ROOT = Path(__file__).resolve().parents[2]


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x7#k2!qv9LmZp4Rt8Wn3Yb6Hc1Jd5Fg0Sa2Ee7Uo9Ii4Kl6Mm8Nn1Bb3Vv5Cc7Xx9",
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
    "OAUTH_JWT_PRIVATE_KEY": rsa_private_key_pem(),
}


def test_check_deploy_passes_with_production_settings(run_django):
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "django-insecure-development-only-key-do-not-use-in-production"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"OAUTH_JWT_PRIVATE_KEY": ""}, "OAUTH_JWT_PRIVATE_KEY"),
    ],
)
def test_production_refuses_to_start_misconfigured(run_django, override, message):
    env = {**PRODUCTION_ENV, **override}
    env = {k: v for k, v in env.items() if v != ""}
    result = run_django(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_turns_docs_off_unless_enabled(run_django, tmp_path):
    static = {"STATIC_ROOT": str(tmp_path)}
    collected = run_django(["manage.py", "collectstatic", "--noinput", "-v0"], **static, **PRODUCTION_ENV)
    assert collected.returncode == 0, collected.stderr
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "print(Client().get('/api/v1/docs/', HTTP_HOST='api.example.com', secure=True).status_code)"
    )
    assert run_django(["-c", script], **static, **PRODUCTION_ENV).stdout.strip() == "404"
    assert run_django(["-c", script], API_DOCS_ENABLED="true", **static, **PRODUCTION_ENV).stdout.strip() == "200"


def test_production_logs_json(run_django):
    script = "import django, logging; django.setup();logging.getLogger('security').warning('hello %s', 'world')"
    line = run_django(["-c", script], **PRODUCTION_ENV).stderr.strip().splitlines()[-1]
    import json

    record = json.loads(line)
    assert record["message"] == "hello world"
    assert record["level"] == "WARNING"
    assert "request_id" in record


def test_dockerfile_is_multistage_non_root_with_a_healthcheck():
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "python:3.11-slim" in text
    assert "\nUSER app" in text
    assert "HEALTHCHECK" in text
    assert "/health/live" in text
    assert "gunicorn config.wsgi:application" in text
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in text
    entrypoint = (ROOT / "docker-entrypoint.sh").read_text()
    assert "manage.py migrate" in entrypoint
    assert "wait_for_db" in entrypoint


def test_compose_runs_web_worker_beat_postgres_redis_from_the_project():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "events", "worker", "webhook-worker", "beat", "postgres", "redis"}
    assert "webhooks" in services["webhook-worker"]["command"]  # the queue of organization webhooks
    assert "uvicorn config.asgi:application" in services["events"]["command"][-1]  # the live streams, on ASGI
    for name in ("web", "events", "worker", "webhook-worker", "beat"):
        service = services[name]
        assert service["build"] == "."
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert "postgres" in service["environment"]["DATABASE_URL"]
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "healthcheck" in service
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["web"]["environment"]["RUN_MIGRATIONS"] == "1"
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]
        assert services[name]["volumes"]


CORS_PROBE = (
    "import django; django.setup();"
    "from django.test import Client;"
    "r = Client().options('/api/v1/auth/login', HTTP_HOST='{host}', secure=True, HTTP_ORIGIN='{origin}',"
    " HTTP_ACCESS_CONTROL_REQUEST_METHOD='POST');"
    "print(r.headers.get('Access-Control-Allow-Origin', '-'), r.headers.get('Access-Control-Allow-Credentials', '-'))"
)


def test_development_lets_the_frontend_through_cors_by_default(run_django):
    """`make run` (local settings): a frontend at FRONTEND_URL calls the API, credentials included, with nothing
    to configure; another origin is still refused."""
    local = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_READ_DOT_ENV_FILE": "false"}
    probe = CORS_PROBE.format(host="localhost", origin="http://localhost:3000")
    assert run_django(["-c", probe], **local).stdout.split() == ["http://localhost:3000", "true"]
    other = CORS_PROBE.format(host="localhost", origin="http://localhost:5173")
    assert run_django(["-c", other], **local).stdout.split() == ["-", "-"]
    moved = CORS_PROBE.format(host="localhost", origin="http://127.0.0.1:5173")
    result = run_django(["-c", moved], FRONTEND_URL="http://127.0.0.1:5173/app/", **local)
    assert result.stdout.split() == ["http://127.0.0.1:5173", "true"], result.stderr


def test_production_allows_only_the_listed_origins(run_django):
    probe = CORS_PROBE.format(host="api.example.com", origin="http://localhost:3000")
    assert run_django(["-c", probe], **PRODUCTION_ENV).stdout.split() == ["-", "-"]
    listed = CORS_PROBE.format(host="api.example.com", origin="https://app.example.com")
    result = run_django(["-c", listed], CORS_ALLOWED_ORIGINS="https://app.example.com", **PRODUCTION_ENV)
    assert result.stdout.split() == ["https://app.example.com", "-"], result.stderr
