"""Business data private to the user (recon/private.py): what recon makes is 0600 (files) and 0700 (folders)
whatever the umask, and ``recon doctor`` names what is loose and ``--fix`` repairs it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from recon import cli
from recon.connectors.tokens import TokenFile
from recon.private import make_dir, open_private
from recon.run_folder import RunFolder
from test_bad_input import sandbox, seeded, world  # noqa: F401  (the same world of files and emulators)

pytestmark = [pytest.mark.reliability,  # counted in docs/approve-apply.md, section Reliability
              pytest.mark.skipif(os.name == "nt", reason="Windows keeps access in ACLs, not mode bits")]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def open_umask():
    """umask 000: every mode recon gets right, it gets right by itself."""
    before = os.umask(0)
    yield
    os.umask(before)


def loose(root: Path) -> list[str]:
    """What under ``root`` (and ``root`` itself) others may read or enter."""
    return [f"{p} {mode(p):o}" for p in [root, *root.rglob("*")] if mode(p) & 0o077]


def test_everything_recon_makes_is_private_under_an_open_umask(world, open_umask, tmp_path, capsys):  # noqa: F811
    fresh = tmp_path / "fresh"
    world.monkeypatch.setenv("RECON_STATE", str(fresh / "profile" / "state.sqlite"))
    world.monkeypatch.setenv("RECON_REPORTS_DIR", str(fresh / "reports"))
    assert cli.main(["reconcile", "--objects", "supplier", "--out", str(fresh / "reports" / "r1")]) == 0
    assert cli.main(["apply", "r1", "--approve", "all"]) in (0, 1)
    capsys.readouterr()
    folder = fresh / "reports" / "r1"
    names = {p.name for p in folder.iterdir()}
    assert {"run.json", "plan.json", "differences.csv", "outcome.json", "approvals.jsonl", "raw"} <= names
    assert any(n.endswith(".parquet") for n in names)
    state = fresh / "profile" / "state.sqlite"
    assert {state, state.with_name("state.sqlite.apply.lock")} <= set((fresh / "profile").iterdir())
    assert loose(fresh) == [] or loose(fresh) == [f"{fresh} {mode(fresh):o}"]  # pytest's own folder aside
    assert mode(fresh / "reports") == 0o700 and mode(folder) == 0o700 and mode(state) == 0o600

    tokens = TokenFile(fresh / "config" / "tokens.json")
    tokens.write("default", {"xero": {"refresh_token": "r"}})
    with tokens.lock():
        pass
    assert loose(fresh / "config") == []

    run = RunFolder.create(fresh / "more" / "reports", "nb")
    run.notebook("sync.ipynb").write_text("{}")
    run.write_html("sync.html", "<p>x</p>")
    assert loose(fresh / "more") == []


@pytest.mark.parametrize("make, expected", [
    (lambda p: make_dir(p / "a" / "b"), 0o700),
    (lambda p: open_private(p / "f.bin", "wb").__enter__().close(), 0o600),
])
def test_the_helpers_are_private_under_an_open_umask(tmp_path, open_umask, make, expected):
    make(tmp_path)
    made = [p for p in tmp_path.rglob("*")]
    assert made and all(mode(p) == expected for p in made)


def test_doctor_names_loose_permissions_and_fix_repairs_them(world, capsys):  # noqa: F811
    assert cli.main(["reconcile", "--objects", "supplier", "--out", str(world.root / "reports" / "r1")]) == 0
    token = world.root / "tokens.json"
    token.write_text("{}")
    cli.main(["doctor", "--fix"])  # the world's own files (copied in by the fixture) first
    loosened = [world.root / "state.sqlite", token, world.root / "reports", world.root / "reports" / "r1",
                world.root / "reports" / "r1" / "plan.json", world.root / "reports" / "r1" / "raw"]
    for path in loosened:
        path.chmod(0o755 if path.is_dir() else 0o644)
    capsys.readouterr()

    def permissions(*argv: str) -> str:
        cli.main(["doctor", *argv])
        [line] = [x for x in capsys.readouterr().out.splitlines() if "permissions:" in x]
        return line

    found = permissions()
    assert found.startswith("FAIL  permissions: 6 readable or enterable by others: ") and "fix: recon doctor --fix" \
        in found and f"{world.root / 'state.sqlite'} (644)" in found
    assert permissions("--fix").startswith("ok    permissions: made 6 private to you: ")
    assert all(mode(p) == (0o700 if p.is_dir() else 0o600) for p in loosened)
    assert permissions().startswith("ok    permissions: the state, its lock, the token file and the run folders")
