"""Every test runs in a world of its own: no RECON_* variable of the person running them, and per-user
folders (recon's data folder with every profile's state and run folders, its config folder with recon.toml
and tokens.json) under a temporary folder, so a running `recon sandbox` or a real recon.toml of the machine
is never seen. Subprocesses inherit the same environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="recon-tests-"))


def pytest_configure(config: pytest.Config) -> None:
    for name in [k for k in os.environ if k.startswith("RECON_")]:
        del os.environ[name]
    os.environ["XDG_DATA_HOME"] = str(_HOME / "data")
    os.environ["XDG_CONFIG_HOME"] = str(_HOME / "config")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_HOME, ignore_errors=True)


def clean_env(**extra: str) -> dict[str, str]:
    """os.environ without RECON_* (the isolation above stays), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    env.update(extra)
    return env


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of this test's own (RECON_DATA_DIR), inherited by the subprocesses it starts."""
    folder = tmp_path / "recon-data"
    monkeypatch.setenv("RECON_DATA_DIR", str(folder))
    return folder


#: Debian's chromium, driven by playwright (never `playwright install`: the tests run offline)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium for the tests of what a person looks at (the report, the notebooks, the app)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (`make test` does, via tools/ensure-test-packages)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev extra: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
