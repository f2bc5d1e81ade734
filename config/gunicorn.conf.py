"""gunicorn's configuration: the web service of the Docker image and docker-compose.yml, and the benchmarks.

Read by ``gunicorn -c config/gunicorn.conf.py config.wsgi:application``; the environment tunes it
(``PORT``, ``WEB_CONCURRENCY``, ``GUNICORN_THREADS``...). Why these values: docs/performance.md, "Load".
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
timeout = 60
accesslog = "-"
# gunicorn's control socket (gunicornc) would default to one path in $HOME (or $XDG_RUNTIME_DIR) shared by every
# gunicorn of the machine or the container: nothing here uses it.
control_socket_disable = True
