"""Shared site builds: each is built once per test session, into a temporary folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytest.importorskip("mkdocs", reason="the site needs mkdocs-material: pip install -e '.[site]'")
pytest.importorskip("material", reason="the site needs mkdocs-material: pip install -e '.[site]'")


def build_site(site_dir: Path, detections: Path | None = None) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` from the repository root into `site_dir`."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    env.pop("DAC_DETECTIONS_DIR", None)
    if detections is not None:
        env["DAC_DETECTIONS_DIR"] = str(detections)
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}\n{result.stderr}"
    return result


def package_ids(folder: Path) -> set[str]:
    from tooling.package import LoadError, iter_package_files, load_package

    ids = set()
    for path in iter_package_files([folder]):
        try:
            value = load_package(path).data.get("id")
        except LoadError:
            continue
        if isinstance(value, str):
            ids.add(value)
    return ids


@pytest.fixture(scope="session")
def site_build(tmp_path_factory) -> tuple[Path, set[str]]:
    """The site built from the repository's own packages, and the package ids present throughout
    the build (packages added or removed meanwhile are not checked)."""
    out = tmp_path_factory.mktemp("site")
    before = package_ids(ROOT / "detections")
    build_site(out)
    return out, before & package_ids(ROOT / "detections")


@pytest.fixture(scope="session")
def site(site_build) -> Path:
    return site_build[0]


@pytest.fixture(scope="session")
def xss_site(tmp_path_factory) -> Path:
    """The site built from the hostile fixture packages only."""
    out = tmp_path_factory.mktemp("xss-site")
    build_site(out, FIXTURES / "xss")
    return out
