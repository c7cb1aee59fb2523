"""recon chooses Arrow's memory pool once, at import: jemalloc unless the environment names one or pyarrow lacks it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from recon import arrow_pool


class _Pool:
    def __init__(self, name: str) -> None:
        self.backend_name = name


class _FakeArrow:
    """pyarrow's pool functions, with or without jemalloc built in."""

    def __init__(self, has_jemalloc: bool) -> None:
        self.has_jemalloc = has_jemalloc
        self.pool = _Pool("mimalloc")

    def jemalloc_memory_pool(self) -> _Pool:
        if not self.has_jemalloc:
            raise NotImplementedError("jemalloc not built")
        return _Pool("jemalloc")

    def set_memory_pool(self, pool: _Pool) -> None:
        self.pool = pool

    def default_memory_pool(self) -> _Pool:
        return self.pool


@pytest.mark.parametrize("has_jemalloc, environ, expected", [
    (True, {}, "jemalloc"),
    (True, {"ARROW_DEFAULT_MEMORY_POOL": ""}, "jemalloc"),
    (True, {"ARROW_DEFAULT_MEMORY_POOL": "system"}, "mimalloc"),  # left to pyarrow, which read it at import
    (False, {}, "mimalloc"),
    (False, {"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}, "mimalloc"),
])
def test_choose(has_jemalloc: bool, environ: dict[str, str], expected: str) -> None:
    assert arrow_pool.choose(_FakeArrow(has_jemalloc), environ) == expected


@pytest.mark.parametrize("environ, expected", [({}, "jemalloc"), ({"ARROW_DEFAULT_MEMORY_POOL": "system"}, "system")])
def test_import_of_recon_sets_the_pool(environ: dict[str, str], expected: str) -> None:
    """In a fresh interpreter that imported pyarrow (as pandas does) before recon."""
    import os

    import pyarrow

    if expected == "jemalloc":
        try:
            pyarrow.jemalloc_memory_pool()
        except NotImplementedError:
            pytest.skip("this pyarrow has no jemalloc")
    env = {k: v for k, v in os.environ.items() if k != arrow_pool.ENVIRONMENT} | environ
    code = "import pyarrow, recon; print(pyarrow.default_memory_pool().backend_name)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
