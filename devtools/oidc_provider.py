"""A real OpenID Connect provider on loopback, for the single sign-on tests (the ``oidc`` tier).

``devtools/oidc-provider/server.js`` runs panva's ``oidc-provider`` (the certified Node.js OpenID
Provider) under Node.js; its packages are installed from the lock file (``npm ci``) the first time.
Pure Python, no pytest: a missing ``node`` or ``npm`` raises ``MissingBinary`` (tests skip, or fail
when CI requires the services), as for the other throwaway servers of devtools/processes.py.
"""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import requests

from devtools.processes import (
    ROOT,
    ProcessError,
    WaitTimeout,
    free_port,
    npm_ci_once,
    require_binary,
    stop_process,
    wait_until,
)

PROVIDER_DIR = ROOT / "devtools" / "oidc-provider"
MINIMUM_NODE = 20


def node_modules_ensure() -> None:
    """``npm ci`` in devtools/oidc-provider unless its packages are there already."""
    npm_ci_once(PROVIDER_DIR, installed=PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json")


def _node() -> str:
    node = require_binary(shutil.which("node"), "node (Node.js)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    if int(version.strip().lstrip("v").split(".")[0]) < MINIMUM_NODE:
        raise ProcessError(f"oidc-provider needs Node.js {MINIMUM_NODE} or later, not {version.strip()}")
    return node


class OidcProvider:
    """``OidcProvider(clients=[...], accounts={...}).start()``; ``stop()`` in a ``finally``.

    ``clients``: oidc-provider client metadata (``client_id``, ``client_secret``, ``redirect_uris``...).
    ``accounts``: login name -> claims (``email``, ``email_verified``, ``name``...); the development
    login form takes any password.
    """

    def __init__(self, *, clients: list[dict], accounts: dict, conform_id_token_claims: bool = False):
        self.node = _node()
        node_modules_ensure()
        self.dir = Path(tempfile.mkdtemp(prefix="workspace-oidc-"))
        self.config = self.dir / "config.json"
        self.settings = {"clients": clients, "accounts": accounts, "conform_id_token_claims": conform_id_token_claims}
        self.port = free_port()
        self.log = self.dir / "provider.log"
        self.process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def start(self, *, attempts: int = 3, timeout: float = 30) -> "OidcProvider":
        """Start it and wait until its discovery document answers. Node starts it in about a second; one
        that does not answer in ``timeout`` seconds is stopped and started again on a fresh port (a
        start that hung was seen, rarely, on a busy machine), at most ``attempts`` times."""
        for attempt in range(1, attempts + 1):
            self._launch()
            try:
                wait_until(self._answers, timeout=timeout, message=f"oidc-provider did not answer on {self.issuer}")
            except WaitTimeout as exc:
                log = self.log.read_text()[-4000:] if self.log.exists() else "(no log)"
                stop_process(self.process, group=True)
                if attempt == attempts:
                    self.stop()
                    raise WaitTimeout(f"{exc} ({attempts} attempts); its last log:\n{log}") from exc
                self.port = free_port()
            except Exception:
                self.stop()
                raise
            else:
                return self
        raise AssertionError("unreachable")

    def _launch(self) -> None:
        self.config.write_text(json.dumps({"port": self.port, **self.settings}))
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                [self.node, str(PROVIDER_DIR / "server.js"), str(self.config)],
                cwd=PROVIDER_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise ProcessError(f"oidc-provider exited:\n{self.log.read_text()}")
        try:
            return requests.get(self.discovery_url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def _admin(self, method: str, path: str, body: dict | None = None) -> dict:
        response = requests.request(method, f"{self.issuer}/__test/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def rotate_keys(self, *, keep_old: bool = False) -> list[str]:
        """A new signing key (the old one withdrawn unless ``keep_old``); answers the published key ids."""
        return self._admin("POST", "rotate", {"keep_old": keep_old})["kids"]

    def set_id_token_ttl(self, seconds: int) -> None:
        """ID tokens' lifetime; a negative one makes tokens that expired that many seconds ago."""
        self._admin("POST", "id-token-ttl", {"seconds": seconds})

    def jwks_requests(self) -> int:
        return self._admin("GET", "stats")["jwks_requests"]

    def stop(self) -> None:
        stop_process(self.process, group=True)
        shutil.rmtree(self.dir, ignore_errors=True)
