"""The MCP Inspector's CLI (npm ``@modelcontextprotocol/inspector-cli``), a second MCP client for the
``mcp`` tier: its packages come from devtools/mcp-inspector's lock file (``npm ci``) the first time.
A missing ``node`` or ``npm`` raises ``MissingBinary``, as for the other tools of devtools/processes.py.
"""

import json
import shutil
import subprocess

from devtools.processes import ROOT, ProcessError, npm_ci_once, require_binary

INSPECTOR_DIR = ROOT / "devtools" / "mcp-inspector"
CLI = INSPECTOR_DIR / "node_modules" / "@modelcontextprotocol" / "inspector-cli" / "build" / "index.js"


def node_modules_ensure() -> None:
    """``npm ci`` in devtools/mcp-inspector unless its packages are there already."""
    npm_ci_once(INSPECTOR_DIR, installed=CLI)


def inspector_cli(url: str, *args: str, authorization: str | None = None, timeout: float = 60) -> dict:
    """Run ``inspector-cli <url> --transport http <args>`` and answer its JSON output."""
    node_modules_ensure()
    node = require_binary(shutil.which("node"), "node (Node.js)")
    headers = ["--header", f"Authorization: {authorization}"] if authorization else []
    result = subprocess.run(  # noqa: S603 - our own arguments
        [node, str(CLI), url, "--transport", "http", *headers, *args],
        # 1.0.3 checks for its package.json relative to the working directory but imports it relative
        # to its module: the two agree only when run from the module's own directory.
        cwd=CLI.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ProcessError(f"inspector-cli failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return json.loads(result.stdout)
