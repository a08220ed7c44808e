from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_dac():
    """Run the real `dac` command line in a subprocess; returns CompletedProcess (text)."""

    def run(*args: str, stdin: str | None = None, cwd: Path = ROOT, timeout: float = 60,
            env: dict[str, str] | None = None):
        return subprocess.run([sys.executable, "-m", "tooling.cli", *args], input=stdin, capture_output=True,
                              text=True, cwd=cwd, timeout=timeout, env={**os.environ, **(env or {})})

    return run
