"""The one environment reader every settings module uses, and the optional ``.env`` file.

Settings modules read their values with ``env`` (``env.str``, ``env.int``, ...) and nothing else,
so ``tests/config/test_env_example.py`` can find every variable and hold ``.env.example`` to them.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
ENV_FILE = BASE_DIR / ".env"

env = environ.Env()


def read_env_file(*, default: bool) -> None:
    """Load ``<repo>/.env`` into the environment when it exists and DJANGO_READ_DOT_ENV_FILE (else
    ``default``) says so. Variables already set in the environment win over the file's.

    The environment modules call this before importing ``base``, which reads every value.
    """
    if env.bool("DJANGO_READ_DOT_ENV_FILE", default=default) and ENV_FILE.is_file():
        environ.Env.read_env(ENV_FILE, overwrite=False)
