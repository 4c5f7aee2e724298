#!/usr/bin/env python3
"""Set-up and the two everyday commands, with nothing but Python 3.11, pip and git.

    python3 dev.py run     # install into .venv (first time), load the demo, serve on :8000
    python3 dev.py test    # install into .venv (first time), run the whole test suite

Also: ``python3 dev.py install`` (only install), ``python3 dev.py lint`` (ruff + mypy),
``python3 dev.py lock`` (re-pin requirements.lock from pyproject.toml, needs network).
Arguments after the command go to the underlying tool, e.g. ``dev.py test -k search``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
LOCK = ROOT / "requirements.lock"
STAMP = VENV / ".alpsbio-installed"


def _run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _fingerprint() -> str:
    h = hashlib.sha256()
    for path in (LOCK, ROOT / "pyproject.toml"):
        h.update(path.read_bytes())
    return h.hexdigest()


def install() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"alpsbio needs Python 3.11, this is {sys.version.split()[0]}")
    if not PY.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("Installing the pinned dependencies (requirements.lock) …", flush=True)
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PY, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", LOCK)
    _run(PY, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ".")
    STAMP.write_text(_fingerprint())


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "install":
        install()
    elif command == "run":
        install()
        _run(BIN / "alpsbio", "serve", *rest)
    elif command == "test":
        install()
        env = {**os.environ, "ALPSBIO_ENV": "test"}
        args = rest or ["-n", "2"]
        _run(PY, "-m", "pytest", *args, env=env)
    elif command == "lint":
        install()
        _run(BIN / "ruff", "check", ".")
        _run(BIN / "ruff", "format", "--check", ".")
        _run(BIN / "mypy")
    elif command == "lock":
        _run(
            sys.executable,
            "-m",
            "uv",
            "pip",
            "compile",
            "pyproject.toml",
            "--extra",
            "dev",
            "--generate-hashes",
            "--python-version",
            "3.11",
            "--no-header",
            "-o",
            str(LOCK),
        )
    else:
        print(__doc__)


if __name__ == "__main__":
    main()
