"""The ``frontend`` tier's tools: the OpenAPI schema turned into a TypeScript client by openapi-typescript, and
the real TypeScript compiler over a sample frontend module (devtools/frontend-check/src/sample.ts) typed by it.

Packages (versions pinned in devtools/frontend-check/package-lock.json) come from ``npm ci`` the first time, as
for the other Node.js tools; a missing ``node`` or ``npm`` raises ``MissingBinary``.
"""

import json
import shutil
import subprocess
from pathlib import Path

from devtools.processes import ROOT, ProcessError, npm_ci_once, require_binary

CHECK_DIR = ROOT / "devtools" / "frontend-check"
SAMPLE = CHECK_DIR / "src" / "sample.ts"
BIN = CHECK_DIR / "node_modules" / ".bin"
# The module name the sample imports its types from, mapped to the generated file for each check.
TYPES_MODULE = "workspace-api"


def _node_tool(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # The lock file installs both tools: either one's script tells the packages are there.
    npm_ci_once(CHECK_DIR, installed=BIN / "tsc")
    node = require_binary(shutil.which("node"), "node (Node.js)")
    # The .bin entries are symlinks to the packages' scripts; run them with node, so no shebang or PATH matters.
    script = (BIN / name).resolve()
    return subprocess.run(  # noqa: S603 - our own arguments
        [node, str(script), *args], cwd=CHECK_DIR, capture_output=True, text=True, timeout=timeout, check=False
    )


def typescript_client(schema: Path, out: Path) -> Path:
    """openapi-typescript: ``schema`` (OpenAPI, JSON or YAML) -> ``out`` (``paths``, ``components``...)."""
    result = _node_tool("openapi-typescript", str(schema), "--output", str(out))
    if result.returncode != 0 or not out.exists():
        raise ProcessError(f"openapi-typescript failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return out


def type_check(types: Path) -> subprocess.CompletedProcess:
    """``tsc --noEmit`` over the sample module with ``workspace-api`` meaning ``types``; the compiler's answer
    (returncode 0: it type-checks; else its errors on stdout)."""
    config = types.parent / "tsconfig.json"
    config.write_text(
        json.dumps(
            {
                "extends": str(CHECK_DIR / "tsconfig.json"),
                "compilerOptions": {"paths": {TYPES_MODULE: [str(types)]}},
                "files": [str(SAMPLE)],
            }
        )
    )
    return _node_tool("tsc", "--project", str(config), "--pretty", "false")
