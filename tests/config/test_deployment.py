"""Production settings and the deploy checks (the deployment tier: subprocesses); the container files, the Compose
files and the Kubernetes manifests, read statically, since no Docker engine or cluster runs here (the fast tier,
but for the entrypoint and the image's collectstatic step, run for real)."""

import ast
import copy
import http.server
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import threading
from pathlib import Path

import jsonschema
import kubernetes_validate
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


# --- The image -----------------------------------------------------------------------------------------------

DOCKERFILE = (ROOT / "Dockerfile").read_text()
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped: (KEYWORD, arguments)."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split()[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines() if line.strip()]


INSTRUCTIONS = _instructions(DOCKERFILE)


def test_dockerfile_pins_both_stages_by_digest_and_says_how_to_refresh():
    images = [arguments.split()[0] for keyword, arguments in INSTRUCTIONS if keyword == "FROM"]
    assert len(images) == 2
    assert len(set(images)) == 1  # build and runtime share one base
    assert images[0].startswith("python:3.11-slim@sha256:")
    assert DIGEST.search(images[0])
    assert "imagetools inspect python:3.11-slim" in DOCKERFILE


def test_dockerfile_code_belongs_to_root_and_the_app_runs_as_another_user():
    copies = [arguments for keyword, arguments in INSTRUCTIONS if keyword == "COPY"]
    assert "--chown" not in " ".join(copies)
    assert ". /app" in copies
    keywords = [keyword for keyword, _ in INSTRUCTIONS]
    users = [arguments for keyword, arguments in INSTRUCTIONS if keyword == "USER"]
    assert users == ["10001:10001"]  # numeric, so that Kubernetes can check runAsNonRoot
    # Every step after the code is in place runs as root, then the user switches, once, for good.
    assert keywords.index("USER") > max(i for i, (k, a) in enumerate(INSTRUCTIONS) if k == "COPY")
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")
    build = " ".join(arguments for keyword, arguments in INSTRUCTIONS if keyword == "RUN")
    assert "useradd --system --uid 10001" in build
    assert "chmod -R a-w" in build  # read-only, even to a process that would chmod its own files
    # The only folders the app's user owns.
    assert re.search(r"install -d -o app -g app -m 0750 /app/media /run/prometheus$", build)


def test_dockerfile_has_one_health_check_for_every_role_and_gunicorn_from_its_config_file():
    env = " ".join(arguments for keyword, arguments in INSTRUCTIONS if keyword == "ENV")
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env
    assert "HEALTHCHECK_ROLE=web" in env
    assert "PROMETHEUS_MULTIPROC_DIR=/run/prometheus" in env
    (healthcheck,) = [arguments for keyword, arguments in INSTRUCTIONS if keyword == "HEALTHCHECK"]
    assert healthcheck.endswith('CMD ["python", "-m", "config.healthcheck"]')
    (entrypoint,) = [json.loads(arguments) for keyword, arguments in INSTRUCTIONS if keyword == "ENTRYPOINT"]
    assert entrypoint == ["/app/docker-entrypoint.sh"]
    (command,) = [json.loads(arguments) for keyword, arguments in INSTRUCTIONS if keyword == "CMD"]
    assert command == ["gunicorn", "config.wsgi:application", "--config", "config/gunicorn.conf.py"]
    assert os.access(ROOT / "docker-entrypoint.sh", os.X_OK)


def test_the_images_collectstatic_step_runs_with_the_values_it_is_given(run_django, tmp_path):
    """The build's only Django step, with exactly its throwaway environment (production settings refuse to load
    without every required variable: OAUTH_JWT_PRIVATE_KEY once broke it)."""
    (step,) = [arguments for keyword, arguments in INSTRUCTIONS if keyword == "RUN" and "collectstatic" in arguments]
    words = shlex.split(step.split("&&")[0])
    env = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    assert words[len(env) :] == ["python", "manage.py", "collectstatic", "--noinput"]
    result = run_django(
        ["manage.py", "collectstatic", "--noinput", "-v0"],
        DJANGO_SETTINGS_MODULE="config.settings.production",
        STATIC_ROOT=str(tmp_path),
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()  # the manifest WhiteNoise serves from


# --- .dockerignore -------------------------------------------------------------------------------------------


def _dockerignore_patterns() -> list[tuple[bool, re.Pattern]]:
    """(excludes, regex) per line of .dockerignore, with Docker's wildcards: ** any folders, * within one."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        glob = line.lstrip("!").strip("/")
        regex = re.escape(glob).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
        patterns.append((excludes, re.compile(f"^{regex}$")))
    return patterns


DOCKERIGNORE = _dockerignore_patterns()


def shipped(path: str) -> bool:
    """Docker's rule: the last pattern that matches the path, or one of its parent folders, decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = True
    for excludes, regex in DOCKERIGNORE:
        if any(regex.match(prefix) for prefix in prefixes):
            verdict = not excludes
    return verdict


def _project_files():
    skip = {".git", ".venv", "venv", "node_modules", "media", "staticfiles", "__pycache__", ".pytest_cache"}
    for folder, folders, files in os.walk(ROOT):
        folders[:] = [name for name in folders if name not in skip]
        for name in files:
            yield Path(folder, name).relative_to(ROOT).as_posix()


def test_dockerignore_ships_what_runs_and_nothing_else():
    for path in (
        "manage.py", "requirements.txt", "docker-entrypoint.sh", "config/settings/production.py",
        "config/gunicorn.conf.py", "config/healthcheck.py", "templates/emails/base.html", "tasks_app/models.py",
    ):  # fmt: skip
        assert shipped(path), path
    for path in (
        "tests/conftest.py", "benchmarks/__init__.py", "devtools/processes.py", "docs/operations.md",
        ".git/HEAD", ".venv/bin/python", "media/imports/a.csv", "oauth-dev-private-key.pem", ".env",
        "requirements-dev.txt", "Makefile", "docker-compose.yml", "deploy/k8s/web.yaml", "db.sqlite3",
        "accounts/__pycache__/models.cpython-311.pyc", "README.md",
    ):  # fmt: skip
        assert not shipped(path), path


def test_dockerignore_keeps_every_installed_app_and_everything_the_shipped_code_imports():
    from django.conf import settings

    local = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}
    apps = {name.split(".")[0] for name in settings.INSTALLED_APPS} & local
    assert {"config", "accounts", "tasks_app", "live"} <= apps
    for app in apps:
        assert shipped(f"{app}/__init__.py"), app
    imported = set()
    for path in _project_files():
        if path.endswith(".py") and shipped(path):
            for node in ast.walk(ast.parse((ROOT / path).read_text(), path)):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
    for package in imported & local:
        assert shipped(f"{package}/__init__.py"), f"{package} is imported by shipped code but not shipped"
    assert "devtools" not in imported
    assert "tests" not in imported


# --- docker-entrypoint.sh ------------------------------------------------------------------------------------


def _entrypoint(tmp_path, *command, **env):
    """The entrypoint with a stand-in ``python`` that logs its arguments: what would run, and in which order."""
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f'#!/bin/sh\necho "python $*" >> {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    result = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "docker-entrypoint.sh"), *command],
        env={"PATH": f"{fake.parent}:/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc"), **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


@pytest.mark.deployment
def test_entrypoint_migrates_once_as_its_own_command_and_on_request(tmp_path):
    wait = "python manage.py wait_for_db --timeout 60"
    migrate = "python manage.py migrate --noinput"
    stale = tmp_path / "multiproc" / "counter_1.db"
    stale.parent.mkdir()
    stale.write_text("a former run")

    result, calls = _entrypoint(tmp_path, "migrate", SUPERUSER_EMAIL="a@example.com", SUPERUSER_PASSWORD="pw")
    assert result.returncode == 0, result.stderr
    assert calls == [wait, migrate, "python manage.py ensure_superuser"]
    assert not stale.exists()  # metrics of a former run are not counted again

    (tmp_path / "calls").unlink()
    result, calls = _entrypoint(tmp_path, "python", "-c", "pass")
    assert calls == [wait, "python -c pass"]  # the app's processes never migrate

    (tmp_path / "calls").unlink()
    result, calls = _entrypoint(tmp_path, "python", "-c", "pass", RUN_MIGRATIONS="1", DB_WAIT_TIMEOUT="5")
    assert calls == ["python manage.py wait_for_db --timeout 5", migrate, "python -c pass"]  # one container alone


# --- Compose -------------------------------------------------------------------------------------------------

COMPOSE_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "compose-spec.json").read_text())
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
COMPOSE_DEV = yaml.safe_load((ROOT / "docker-compose.dev.yml").read_text())
APP_SERVICES = ("web", "events", "worker", "webhook-worker", "beat")


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.dev.yml"])
def test_compose_files_follow_the_compose_specification(name):
    """Against the Compose Specification's own JSON schema (tests/config/schemas/NOTICE), offline."""
    validator = jsonschema.Draft201909Validator(COMPOSE_SCHEMA)
    document = yaml.safe_load((ROOT / name).read_text())
    assert [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(document)] == []
    broken = copy.deepcopy(document)
    broken["services"]["web"]["healthcheck"]["intervall"] = "30s"
    assert not validator.is_valid(broken)  # the schema does refuse what Compose would


def _healthcheck(service) -> list[str]:
    test = service["healthcheck"]["test"]
    assert test[:4] == ["CMD", "python", "-m", "config.healthcheck"], test
    return test[4:]


def test_compose_migrates_once_before_every_process_of_the_app():
    services = COMPOSE["services"]
    assert set(services) == {*APP_SERVICES, "migrate", "flower", "postgres", "redis"}
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"]  # docker-entrypoint.sh: wait_for_db, migrate, exit 0
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in APP_SERVICES:
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "RUN_MIGRATIONS" not in service["environment"], name
        assert service["build"] == "."
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert service["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert service["restart"] == "unless-stopped"


def test_compose_checks_each_role_for_what_it_does():
    services = COMPOSE["services"]
    assert _healthcheck(services["web"]) == ["web"]
    assert _healthcheck(services["events"]) == ["events", "--port", "8001"]
    assert "--port 8001" in services["events"]["command"][-1]
    assert "uvicorn config.asgi:application" in services["events"]["command"][-1]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert _healthcheck(services["worker"])[:3] == ["worker", "--node", "celery@%h"]
    webhooks = services["webhook-worker"]["command"]
    assert webhooks[webhooks.index("-Q") + 1] == "webhooks"
    # The ping goes to the node name the worker was started with.
    assert _healthcheck(services["webhook-worker"])[:3] == ["worker", "--node", webhooks[webhooks.index("-n") + 1]]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "--schedule=/tmp/celerybeat-schedule" in services["beat"]["command"]  # the code's folder is read-only
    assert _healthcheck(services["beat"]) == ["beat"]
    for name in ("postgres", "redis"):
        assert DIGEST.search(services[name]["image"]), name
        assert services[name]["restart"] == "unless-stopped"
        assert services[name]["healthcheck"]["test"]
        assert services[name]["volumes"]
    assert services["postgres"]["image"].startswith("postgres:15-alpine@")
    assert services["redis"]["image"].startswith("redis:7-alpine@")


def test_compose_flower_asks_for_credentials_and_listens_on_loopback():
    flower = COMPOSE["services"]["flower"]
    assert flower["entrypoint"] == ["celery", "-A", "config", "flower"]
    assert re.fullmatch(r"\$\{FLOWER_BASIC_AUTH:\?.+\}", flower["environment"]["FLOWER_BASIC_AUTH"])  # required
    (port,) = flower["ports"]
    assert port.startswith("${FLOWER_BIND:-127.0.0.1}:")
    assert _healthcheck(flower) == ["flower"]
    assert flower["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert flower["restart"] == "unless-stopped"


def test_compose_passes_the_storage_metrics_and_error_tracking_settings():
    environment = COMPOSE["services"]["web"]["environment"]
    assert environment["STORAGE_BACKEND"] == "${STORAGE_BACKEND:-local}"
    for variable in (
        "STORAGE_S3_BUCKET", "STORAGE_S3_ENDPOINT_URL", "STORAGE_S3_ACCESS_KEY_ID", "STORAGE_S3_SECRET_ACCESS_KEY",
        "METRICS_TOKEN", "SENTRY_DSN", "DJANGO_SECRET_KEY_FALLBACKS", "JWT_SIGNING_KEY_FALLBACKS",
    ):  # fmt: skip
        assert environment[variable] == f"${{{variable}:-}}", variable  # optional: unset means off, or local files
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


def test_dev_compose_reloads_the_mounted_source_with_the_development_settings():
    services = COMPOSE_DEV["services"]
    assert {"web", "worker", "migrate", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.local"
        assert ".:/app" in service["volumes"]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
    assert services["web"]["command"] == ["python", "manage.py", "runserver", "0.0.0.0:8000"]  # autoreload on
    assert services["worker"]["command"][:3] == ["python", "manage.py", "run_autoreload_worker"]
    worker_options = services["worker"]["command"]
    assert "celery,webhooks" in worker_options[worker_options.index("-Q") + 1]
    assert services["postgres"]["image"] == COMPOSE["services"]["postgres"]["image"]
    assert services["redis"]["image"] == COMPOSE["services"]["redis"]["image"]


# --- Kubernetes ----------------------------------------------------------------------------------------------

K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())
MANIFESTS = {
    path.name: list(yaml.safe_load_all(path.read_text())) for path in sorted(K8S.glob("*.yaml"))
    if path.name != "kustomization.yaml"
}  # fmt: skip
DOCUMENTS = {(doc["kind"], doc["metadata"]["name"]): doc for docs in MANIFESTS.values() for doc in docs}
# The oldest Kubernetes the manifests are meant for, and the newest whose schemas kubernetes-validate carries.
K8S_VERSIONS = ("1.30.0", kubernetes_validate.utils.latest_version())


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_kubernetes_manifests_validate_against_the_api_schemas(version):
    """kubernetes-validate's bundled schemas (offline), strict: an unknown or misspelt field fails."""
    for documents in MANIFESTS.values():
        for document in documents:
            kubernetes_validate.validate(document, version, strict=True)
    typo = copy.deepcopy(DOCUMENTS[("Deployment", "workspace-web")])
    typo["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, version, strict=True)


def test_kustomization_lists_the_manifests_but_no_secret():
    resources = KUSTOMIZATION["resources"]
    assert all((K8S / name).exists() for name in resources)
    assert set(MANIFESTS) - set(resources) == {"secret.example.yaml", "flower.yaml"}  # flower is optional
    assert "# - flower.yaml" in (K8S / "kustomization.yaml").read_text()
    (secret,) = MANIFESTS["secret.example.yaml"]
    assert secret["kind"] == "Secret"
    for key, value in secret["stringData"].items():  # placeholders only
        assert value == "" or "CHANGE-ME" in value, key


def _pod(kind, name):
    return DOCUMENTS[(kind, name)]["spec"]["template"]["spec"]


def _deployments():
    return {name: doc for (kind, name), doc in DOCUMENTS.items() if kind == "Deployment"}


def test_kubernetes_pods_run_locked_down():
    pods = {name: doc["spec"]["template"]["spec"] for name, doc in _deployments().items()}
    pods["workspace-migrate"] = _pod("Job", "workspace-migrate")
    assert set(pods) == {
        "workspace-web", "workspace-events", "workspace-worker", "workspace-webhook-worker", "workspace-beat",
        "workspace-flower", "workspace-migrate",
    }  # fmt: skip
    for name, pod in pods.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        assert pod["automountServiceAccountToken"] is False, name
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert "emptyDir" in volumes["tmp"], name
        assert "emptyDir" in volumes["prometheus"], name
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            where = f"{name}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert mounts == {"/tmp": "tmp", "/run/prometheus": "prometheus"}, where  # noqa: S108
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}, where
            assert set(container["resources"]["limits"]) == {"cpu", "memory"}, where
            assert container["image"] == "team-workspace", where  # set by kustomization.yaml's images
            assert {"configMapRef": {"name": "workspace-config"}} in container["envFrom"], where
            assert {"secretRef": {"name": "workspace-secrets"}} in container["envFrom"], where


def test_kubernetes_migrations_run_once_and_every_process_waits_for_them():
    job = _pod("Job", "workspace-migrate")
    assert job["containers"][0]["args"] == ["migrate"]
    assert job["restartPolicy"] == "Never"
    for name, deployment in _deployments().items():
        if name == "workspace-flower":
            continue  # needs the broker only
        (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert "manage.py migrate --check" in init["args"][-1], name


def test_kubernetes_probes_and_scaling():
    host = yaml.safe_load((K8S / "configmap.yaml").read_text())["data"]["DJANGO_ALLOWED_HOSTS"].split(",")[0]
    for name in ("workspace-web", "workspace-events"):
        (container,) = _pod("Deployment", name)["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health"
        for probe in ("livenessProbe", "readinessProbe"):
            # Django answers 400 to a Host outside DJANGO_ALLOWED_HOSTS: the probes name one.
            assert container[probe]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": host}], (name, probe)
    for name, node in (("workspace-worker", "celery@%h"), ("workspace-webhook-worker", "webhooks@%h")):
        (container,) = _pod("Deployment", name)["containers"]
        assert container["livenessProbe"]["exec"]["command"][:6] == [
            "python", "-m", "config.healthcheck", "worker", "--node", node,
        ]  # fmt: skip
        assert f"-n {node}" in " ".join(container["args"]) or node == "celery@%h"
    (beat,) = _pod("Deployment", "workspace-beat")["containers"]
    assert beat["livenessProbe"]["exec"]["command"] == ["python", "-m", "config.healthcheck", "beat"]
    beat_deployment = DOCUMENTS[("Deployment", "workspace-beat")]
    assert beat_deployment["spec"]["replicas"] == 1
    assert beat_deployment["spec"]["strategy"] == {"type": "Recreate"}
    for name in ("workspace-web", "workspace-worker", "workspace-webhook-worker"):
        autoscaler = DOCUMENTS[("HorizontalPodAutoscaler", name)]
        assert autoscaler["apiVersion"] == "autoscaling/v2"
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert autoscaler["spec"]["minReplicas"] >= 1
    for name in ("workspace-web", "workspace-events", "workspace-worker", "workspace-webhook-worker"):
        budget = DOCUMENTS[("PodDisruptionBudget", name)]
        selector = DOCUMENTS[("Deployment", name)]["spec"]["selector"]
        assert budget["spec"]["selector"] == selector
    for name in ("workspace-web", "workspace-events"):
        service = DOCUMENTS[("Service", name)]
        assert service["spec"]["selector"] == DOCUMENTS[("Deployment", name)]["spec"]["selector"]["matchLabels"]
    assert ("HorizontalPodAutoscaler", "workspace-beat") not in DOCUMENTS


# --- The health check of each role ---------------------------------------------------------------------------


def test_beat_health_check_passes_on_a_fresh_heartbeat_and_fails_on_a_stale_one(tmp_path, monkeypatch, capsys):
    from config import healthcheck

    heartbeat = tmp_path / "heartbeat"
    monkeypatch.setenv("BEAT_HEARTBEAT_FILE", str(heartbeat))
    assert healthcheck.main(["beat"]) == 1  # none yet
    assert "no heartbeat" in capsys.readouterr().err

    healthcheck.beat_heartbeat_write(path=heartbeat, now=10_000.0)
    assert healthcheck.check_beat(now=10_000.0 + 119) == "beat ticked 119s ago"
    with pytest.raises(healthcheck.Unhealthy, match="last ticked 121s ago"):
        healthcheck.check_beat(now=10_000.0 + 121)
    monkeypatch.setenv("BEAT_HEARTBEAT_MAX_AGE", "600")
    assert healthcheck.check_beat(now=10_000.0 + 121)

    healthcheck.beat_heartbeat_write()  # now
    assert healthcheck.main(["beat"]) == 0


@pytest.mark.django_db
def test_beats_scheduler_leaves_a_heartbeat_at_each_tick(tmp_path, monkeypatch):
    """The real scheduler of CELERY_BEAT_SCHEDULER on the project's schedule (nothing is due at once)."""
    from celery.utils.imports import symbol_by_name

    from config import healthcheck
    from config.celery import app

    heartbeat = tmp_path / "heartbeat"
    monkeypatch.setenv("BEAT_HEARTBEAT_FILE", str(heartbeat))
    scheduler_class = symbol_by_name(app.conf.beat_scheduler)
    scheduler = scheduler_class(app=app, schedule_filename=str(tmp_path / "schedule"))
    try:
        assert not heartbeat.exists()
        interval = scheduler.tick()
        assert 0 < interval <= 30  # it never sleeps longer than 30 s between ticks
        assert healthcheck.check_beat(max_age=5).startswith("beat ticked")
    finally:
        scheduler.close()


def test_worker_health_check_pings_its_own_node():
    from config import healthcheck

    asked = []

    def ping(destination, timeout):
        asked.append((destination, timeout))
        return [{"webhooks@host-1": {"ok": "pong"}}] if destination == ["webhooks@host-1"] else []

    assert healthcheck.check_worker(node="webhooks@host-1", timeout=3, ping=ping) == "webhooks@host-1 answered"
    assert asked == [(["webhooks@host-1"], 3)]
    with pytest.raises(healthcheck.Unhealthy, match="did not answer"):
        healthcheck.check_worker(node="celery@host-1", timeout=3, ping=ping)

    def broker_down(destination, timeout):
        raise ConnectionError("Error 111 connecting to redis:6379")

    with pytest.raises(healthcheck.Unhealthy, match="could not ping"):
        healthcheck.check_worker(node="celery@host-1", timeout=3, ping=broker_down)
    assert healthcheck.worker_node("webhooks@%h").startswith("webhooks@")
    assert "%h" not in healthcheck.worker_node(None)


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.server.seen.append((self.path, self.headers["Host"]))
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_web_health_check_asks_for_health_live_with_a_host_the_app_serves(health_server, monkeypatch):
    from config import healthcheck

    port = health_server.server_address[1]
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", ".example.com,api.example.com")
    monkeypatch.setenv("PORT", str(port))
    assert healthcheck.main(["web"]) == 0
    assert healthcheck.main(["events", "--port", str(port)]) == 0
    assert health_server.seen == [("/health/live", "example.com")] * 2
    monkeypatch.setattr(_Health, "status", 503)
    assert healthcheck.main(["web"]) == 1
    health_server.server_close()
    with pytest.raises(healthcheck.Unhealthy, match="did not answer"):
        healthcheck.check("web", port=port, timeout=1)


# --- gunicorn and the development worker ---------------------------------------------------------------------


def test_gunicorn_config_file_loads_and_sets_what_it_should(monkeypatch):
    from gunicorn.config import Config

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_GRACEFUL_TIMEOUT", "25")
    monkeypatch.delenv("PORT", raising=False)
    namespace = {"__file__": str(ROOT / "config" / "gunicorn.conf.py")}
    exec(compile((ROOT / "config" / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)  # gunicorn's own validation of each setting
    assert config.worker_class_str == "gthread"
    assert (config.workers, config.threads, config.keepalive) == (3, 4, 5)
    assert (config.timeout, config.graceful_timeout) == (60, 25)
    assert config.worker_tmp_dir == "/dev/shm"  # noqa: S108
    assert config.bind == ["0.0.0.0:8000"]
    assert config.control_socket_disable is True  # no control socket, in $HOME or anywhere


def test_run_autoreload_worker_watches_the_project_and_stops_its_worker():
    from config.management.commands import run_autoreload_worker as command

    paths = command.project_app_paths()
    assert ROOT / "config" in paths
    assert ROOT / "tasks_app" in paths
    assert all(path.is_relative_to(ROOT) for path in paths)  # Django's own apps are not watched
    started = []

    class Worker:
        def __init__(self, argv):
            started.append(argv)

        def wait(self, timeout=None):
            return 0

        def poll(self):
            return 0

    assert command.run_worker(["-Q", "celery,webhooks"], popen=Worker) == 0
    assert started == [[sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery,webhooks"]]
