"""A package that installs anywhere: the wheel carries the notebooks, the export template and the demo data,
and `pip install recon` (no extras) then `recon demo` works in a fresh virtual environment."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_packages_listed_for_the_wheel_are_the_packages_on_disk() -> None:
    from setuptools import find_packages

    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    data_only = {"recon.templates.recon_html"}  # the nbconvert template folder: files, no __init__.py
    assert sorted(set(listed) - {"recon.notebooks"} - data_only) == sorted(find_packages(str(ROOT), include=["recon*"]))
    assert all((ROOT / name.replace(".", "/")).is_dir() for name in data_only)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(out), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    [built] = out.glob("recon-*.whl")
    return built


def test_the_wheel_carries_the_notebooks_templates_and_demo_data(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
            assert whl.read(f"recon/notebooks/{notebook.name}") == notebook.read_bytes()
    for path in sorted((ROOT / "recon" / "templates").rglob("*")):
        if path.is_file():
            assert path.relative_to(ROOT).as_posix() in names
    assert {"recon/sandbox/demo.py", "recon/sandbox/demo_company.py", "recon/py.typed"} <= names
    assert not [n for n in names if n.startswith(("notebooks/", "tests/", "tools/"))]


def test_pip_install_without_extras_then_recon_demo_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    """Only what `pip install recon` brings (the local package index may serve it), no kernel registered,
    started in an empty folder with an empty home."""
    env_dir, home = tmp_path / "venv", tmp_path / "home"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    dev = subprocess.run([str(python), "-c", "import pytest"], capture_output=True)
    assert dev.returncode != 0, "the dev extra must not have been installed"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = {"PATH": f"{env_dir / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    kernels = subprocess.run([str(env_dir / "bin" / "jupyter"), "kernelspec", "list"], env=env, capture_output=True,
                             text=True)
    assert " recon " not in kernels.stdout
    demo = subprocess.run([str(env_dir / "bin" / "recon"), "demo"], env=env, cwd=work, capture_output=True, text=True,
                          timeout=900)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    audit = Path(demo.stdout.strip().splitlines()[-1].removeprefix("audit report: "))
    assert audit.is_file() and audit.is_relative_to(home / ".local" / "share" / "recon")
    assert "The approvals chain is intact." in audit.read_text()
    assert list(work.iterdir()) == []  # nothing in the working folder
