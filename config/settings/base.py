"""Settings shared by every environment, one module per concern, each read from the environment.

    env.py            the one ``env`` reader and the optional ``.env`` file
    core.py           Django's core: apps, middleware, templates, database, cache, i18n
    api.py            DRF, pagination, the OpenAPI schema and docs, CORS
    auth.py           JWTs, sessions, invitations, password rules
    celery.py         Celery and the beat schedule of every app
    security.py       CSRF, security headers, cookies, CSP, trusted proxies
    logging.py        logs and request ids
    mcp.py            the MCP endpoint: the site's public URL
    notifications.py  deliveries, webhooks, email
    observability.py  Prometheus metrics at /metrics and who may read them, Sentry
    org_webhooks.py   organization webhooks: retries, secret rotation, pausing, fairness
    oauth.py          the OAuth authorization server (django-oauth-toolkit), its keys and lifetimes
    privacy.py        deleting one's account, exporting one's data
    ratelimits.py     rate limits: endpoint classes, the anonymous ceiling, guess limits
    imports.py        CSV imports
    live.py           the live stream: history, heartbeats, credential checks, tickets
    reports.py        reports and their exports
    retention.py      what is deleted after how long (manage.py purge)
    sso.py            single sign-on providers and linking rules
    storage.py        static files, media, upload sizes

A module reads only its own values (and may read, never change, another's); local.py, test.py and
production.py then override whole values for their environment. ``.env.example`` lists every
variable read here.
"""

from .api import *  # noqa: F403
from .auth import *  # noqa: F403
from .celery import *  # noqa: F403
from .core import *  # noqa: F403
from .env import env  # noqa: F401 - for readers outside the settings (accounts' ensure_superuser)
from .imports import *  # noqa: F403
from .live import *  # noqa: F403
from .logging import *  # noqa: F403
from .mcp import *  # noqa: F403
from .notifications import *  # noqa: F403
from .oauth import *  # noqa: F403
from .observability import *  # noqa: F403
from .org_webhooks import *  # noqa: F403
from .privacy import *  # noqa: F403
from .ratelimits import *  # noqa: F403
from .reports import *  # noqa: F403
from .retention import *  # noqa: F403
from .security import *  # noqa: F403
from .sso import *  # noqa: F403
from .storage import *  # noqa: F403
