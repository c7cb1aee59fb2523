"""The bad-input corpus: every bad input recon is known to meet, each ending in one line that names the file,
record and field, the exit status ``recon.cli.EXIT_CODES`` gives it, and nothing written.

Each case runs ``recon`` (``recon.cli.main``, in this process: an exception other than recon's own fails the
test, as a traceback would) in a world of its own under ``tmp_path``: a seeded state file, a run folder with a
good plan, the per-user folders, and both emulators reached as real accounts. Before and after, every file of
that world (paths, bytes) and both emulators' records are taken; they must be the same. Counted in
docs/approve-apply.md, section Reliability.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from recon import cli
from recon.reconcile.model import Action, Plan
from recon.sandbox import demo
from recon.store import Store
from test_apply_kit import emulator_state, sandbox_settings, start_sandbox
from test_apply_roundtrip import reconciled

pytestmark = pytest.mark.reliability  # counted in docs/approve-apply.md, section Reliability

COMMANDS = {"reconcile": ["reconcile"], "fetch": ["fetch"], "apply": ["apply", "run1"],
            "connect xero": ["connect", "xero"], "lab": ["lab", "--no-browser"], "run": ["run", "reconcile.ipynb"],
            "verify": ["verify"], "doctor": ["doctor"]}
NOTHING_DONE, STATE = cli.NOTHING_DONE, cli.STATE


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def seeded(sandbox, tmp_path_factory) -> Path:
    """A state file with the demo's links and baselines, and the plan reconcile makes of the demo data."""
    folder = tmp_path_factory.mktemp("seeded")
    s = sandbox_settings(sandbox, folder)
    with Store(s.state_path) as store:
        store.seed(links=demo.links(), baselines=demo.baseline())
        (folder / "plan.json").write_text(reconciled(s, store, "run1").plan.to_json())
    return folder


@dataclass
class World:
    """The folder a case runs in, and the environment recon sees there."""

    root: Path
    monkeypatch: pytest.MonkeyPatch
    undo: list[Callable[[], None]] = field(default_factory=list)

    @property
    def plan_file(self) -> Path:
        return self.root / "reports" / "run1" / "plan.json"

    def plan(self) -> dict:
        return json.loads(self.plan_file.read_text())

    def write_plan(self, body: dict, *, recompute: bool = True) -> None:
        """The plan edited as an attacker would: every id and the fingerprint recomputed to match."""
        if recompute:
            actions = []
            for a in body["actions"]:
                action = Action(**{k: a[k] for k in ("kind", "target", "op", "keys", "new", "old", "reason",
                                                     "difference", "label")})
                a["id"] = action.id
                actions.append(action)
            body["fingerprint"] = Plan(body["run_id"], tuple(body["kinds"]), tuple(actions)).fingerprint
        self.plan_file.write_text(json.dumps(body, indent=2))

    def read_only(self, path: Path) -> None:
        """``path`` made impossible to write, for root too (immutable) and for anyone else (mode 0400)."""
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i", str(path)], check=True)
            self.undo.append(lambda: subprocess.run(["chattr", "-i", str(path)], check=True))
        else:
            path.chmod(0o400)


@pytest.fixture()
def world(sandbox, seeded, tmp_path, monkeypatch) -> World:
    sandbox.reset("demo")
    root = tmp_path / "world"
    (root / "reports" / "run1").mkdir(parents=True)
    shutil.copy(seeded / "state.sqlite", root / "state.sqlite")
    shutil.copy(seeded / "plan.json", root / "reports" / "run1" / "plan.json")
    env = {"RECON_STATE": str(root / "state.sqlite"), "RECON_REPORTS_DIR": str(root / "reports"),
           "RECON_TOKEN_FILE": str(root / "tokens.json"), "RECON_DATA_DIR": str(root / "data"),
           "XDG_DATA_HOME": str(root / "xdg-data"), "XDG_CONFIG_HOME": str(root / "xdg-config"), "USER": "ana",
           "RECON_XERO_CLIENT_ID": "sandbox-client", "RECON_XERO_CLIENT_SECRET": "sandbox-secret",
           "RECON_XERO_TENANT_ID": "sandbox-tenant", "RECON_XERO_API_URL": sandbox.xero_url,
           "RECON_XERO_IDENTITY_URL": sandbox.xero_url, "RECON_PRECORO_TOKEN": "sandbox-token",
           "RECON_PRECORO_EMAIL": "sandbox@example.com", "RECON_PRECORO_BASE_URL": sandbox.precoro_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(root)
    w = World(root, monkeypatch)
    yield w
    for undo in reversed(w.undo):
        undo()


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``, with a digest of each file's bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# -- the corpus ---------------------------------------------------------------------------------------------

def config(text: str | bytes) -> Callable[[World], None]:
    def setup(w: World) -> None:
        path = w.root / "recon.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        w.monkeypatch.setenv("RECON_CONFIG", str(path))
    return setup


def env(**values: str) -> Callable[[World], None]:
    def setup(w: World) -> None:
        for name, value in values.items():
            w.monkeypatch.setenv(name, value.replace("{root}", str(w.root)))
    return setup


def edit_plan(change: Callable[[dict], None], *, recompute: bool = True) -> Callable[[World], None]:
    def setup(w: World) -> None:
        body = w.plan()
        change(body)
        w.write_plan(body, recompute=recompute)
    return setup


def first(kind: str, field_name: str) -> Callable[[dict], dict]:
    """The first action of ``kind`` whose ``new`` has ``field_name``."""
    return lambda body: next(a for a in body["actions"] if a["kind"] == kind and field_name in a["new"])


def set_new(kind: str, field_name: str, value: object) -> Callable[[dict], None]:
    return lambda body: first(kind, field_name)(body)["new"].__setitem__(field_name, value)


def file_at(relative: str, content: bytes = b"x") -> Callable[[World], None]:
    def setup(w: World) -> None:
        (w.root / relative).parent.mkdir(parents=True, exist_ok=True)
        (w.root / relative).write_bytes(content)
    return setup


def both(*setups: Callable[[World], None]) -> Callable[[World], None]:
    def setup(w: World) -> None:
        for s in setups:
            s(w)
    return setup


def newer_state(w: World) -> None:
    db = sqlite3.connect(w.root / "state.sqlite")
    db.execute("PRAGMA user_version = 999")
    db.close()


def read_only_state(w: World) -> None:
    w.read_only(w.root / "state.sqlite")


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    setup: Callable[[World], None]
    expect: str
    code: int = NOTHING_DONE


NOT_UTF8 = config(b'[profile.default]\nuser = "caf\xe9"\n')
CASES: list[Case] = [
    # the config file (one of each, and the one not in UTF-8 under every command)
    *[Case(f"config not UTF-8: {name}", tuple(argv), NOT_UTF8, "recon.toml: 'utf-8' codec can't decode")
      for name, argv in COMMANDS.items()],
    *[Case(f"config not TOML: {name}", tuple(argv), config("[profile.default\n"), "recon.toml: Expected ']'")
      for name, argv in COMMANDS.items()],
    Case("config unknown top-level key", ("fetch",), config("colour = 1\n"), "unknown top-level key(s) colour"),
    Case("config unknown profile key", ("fetch",), config("[profile.default]\ncolour = 1\n"),
         "[profile.default]: unknown key 'colour'"),
    Case("config key of the wrong type", ("reconcile",), config("[profile.default]\ntimeout = [1]\n"),
         "[profile.default]: timeout is a single value, not list"),
    Case("config timeout not a number", ("reconcile",), config('[profile.default]\ntimeout = "fast"\n'),
         "[profile.default] timeout: the timeout must be a number of seconds above 0"),
    Case("config profiles not tables", ("fetch",), config("profile = 3\n"), "profiles are tables"),
    Case("config relative state of a profile outside", ("fetch",), config('[defaults]\nstate = "s.sqlite"\n'),
         "[defaults]: state would give every profile the same one"),
    Case("config key_env not set", ("fetch",), config('[profile.default]\nprecoro_token_env = "NOPE_TOKEN"\n'),
         "precoro_token_env names the environment variable NOPE_TOKEN, which is not set"),
    Case("unknown profile", ("--profile", "nightly", "fetch"), lambda w: None, "unknown profile 'nightly'"),
    Case("RECON_CONFIG a folder", ("fetch",), env(RECON_CONFIG="{root}/reports"), "RECON_CONFIG points at"),
    # the environment
    *[Case(f"RECON_TIMEOUT {value}", ("fetch",), env(RECON_TIMEOUT=value),
           f"RECON_TIMEOUT: the timeout must be a number of seconds above 0 and at most 3600, not '{value}'")
      for value in ("-5", "nan", "inf", "0", "abc", "1e9")],
    Case("RECON_TIMEOUT -5: apply", ("apply", "run1", "--approve", "all"), env(RECON_TIMEOUT="-5"), "RECON_TIMEOUT"),
    Case("RECON_TIMEOUT nan: doctor", ("doctor",), env(RECON_TIMEOUT="nan"), "RECON_TIMEOUT"),
    Case("RECON_XERO_API_URL not a URL", ("fetch",), env(RECON_XERO_API_URL="notaurl"),
         "RECON_XERO_API_URL: 'notaurl' is not a URL"),
    Case("RECON_PRECORO_BASE_URL ftp", ("reconcile",), env(RECON_PRECORO_BASE_URL="ftp://x"),
         "RECON_PRECORO_BASE_URL: 'ftp://x' is not a URL"),
    Case("RECON_XERO_IDENTITY_URL bad port", ("connect", "xero"), env(RECON_XERO_IDENTITY_URL="http://h:port"),
         "RECON_XERO_IDENTITY_URL"),
    Case("RECON_XERO_TIER unknown", ("fetch",), env(RECON_XERO_TIER="gold"), "RECON_XERO_TIER 'gold'"),
    Case("RECON_XERO_SCOPES empty", ("fetch",), env(RECON_XERO_SCOPES=" , "), "RECON_XERO_SCOPES is empty"),
    Case("RECON_LIMITS_STORE unknown", ("fetch",), env(RECON_LIMITS_STORE="mongo://x"), "limits_store 'mongo://x'"),
    Case("RECON_STATE relative", ("fetch",), env(RECON_STATE="state.sqlite"), "RECON_STATE must be an absolute path"),
    Case("RECON_APPROVALS_KEY short", ("apply", "run1"), env(RECON_APPROVALS_KEY="short"), "approvals key"),
    Case("RECON_APPROVALS_KEY_FILE a folder", ("verify",), env(RECON_APPROVALS_KEY_FILE="{root}/reports"),
         "RECON_APPROVALS_KEY_FILE"),
    Case("RECON_PROFILE unusable", ("fetch",), env(RECON_PROFILE="../etc"), "profile name '../etc' is not usable"),
    Case("Xero partly configured", ("fetch",), env(RECON_XERO_CLIENT_SECRET=""),
         "Xero settings are partly configured: missing RECON_XERO_CLIENT_SECRET"),
    # paths
    Case("reports folder a file: fetch", ("fetch",), both(file_at("afile"), env(RECON_REPORTS_DIR="{root}/afile")),
         "afile is a file, not a folder"),
    Case("reports folder a file: reconcile", ("reconcile",),
         both(file_at("afile"), env(RECON_REPORTS_DIR="{root}/afile")), "afile is a file, not a folder"),
    Case("--out a file: fetch", ("fetch", "--out", "afile"), file_at("afile"), "check --out"),
    Case("--out a file: reconcile", ("reconcile", "--out", "afile"), file_at("afile"), "check --out"),
    Case("--out under a file", ("reconcile", "--out", "afile/run"), file_at("afile"), "afile is a file"),
    Case("state a folder", ("reconcile",), env(RECON_STATE="{root}/reports"), "reports is a folder", STATE),
    Case("state under a file", ("fetch",), both(file_at("afile"), env(RECON_STATE="{root}/afile/state.sqlite")),
         "cannot open state store", STATE),
    Case("state not a database", ("reconcile",), both(file_at("junk.sqlite", b"junk" * 100),
                                                      env(RECON_STATE="{root}/junk.sqlite")),
         "junk.sqlite: file is not a database", STATE),
    Case("state read-only: reconcile", ("reconcile",), read_only_state, "state.sqlite cannot be written", STATE),
    Case("state read-only: fetch", ("fetch",), read_only_state, "state.sqlite cannot be written", STATE),
    Case("state read-only: apply", ("apply", "run1", "--approve", "all"), read_only_state,
         "state.sqlite cannot be written", STATE),
    Case("no state: verify", ("verify",), env(RECON_STATE="{root}/none.sqlite"), "no state file", STATE),
    # plans: edited, with every id and the fingerprint recomputed, refused in a dry run and for real
    *[Case(f"plan {what}: {mode}", ("apply", "run1", *extra), edit_plan(change), expect)
      for what, change, expect in [
          ("op delete", lambda b: b["actions"][0].update(op="delete"), "field 'op': unknown operation 'delete'"),
          ("kind unknown", lambda b: b["actions"][0].update(kind="invoice"), "field 'kind': unknown kind 'invoice'"),
          ("target unknown", lambda b: b["actions"][0].update(target="sage"),
           "field 'target': unknown target system 'sage'"),
          ("duplicated action", lambda b: b["actions"].append(dict(b["actions"][0])), "an action appears twice"),
          ("unknown action field", lambda b: b["actions"][0].update(run="rm"), "field 'run': unknown field(s)"),
          ("total abc", set_new("purchase_order", "total", "abc"), "field 'new.total': 'abc' is not a decimal number"),
      ]
      for mode, extra in (("dry run", ("--dry-run",)), ("approved", ("--approve", "all")))],
    Case("plan unknown top-level field", ("apply", "run1"), edit_plan(lambda b: b.update(hooks=[])),
         "plan.json field 'hooks': unknown field(s)"),
    Case("plan action field missing", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: b["actions"][0].pop("keys"), recompute=False), "field 'keys': the action lacks keys"),
    Case("plan total NaN", ("apply", "run1", "--dry-run"), edit_plan(set_new("purchase_order", "total", "NaN")),
         "'NaN' is not a finite number"),
    Case("plan total a number", ("apply", "run1", "--dry-run"), edit_plan(set_new("purchase_order", "total", 12.5)),
         "field 'new.total': is float 12.5, not text"),
    Case("plan line quantity", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: first("purchase_order", "lines")(b)["new"]["lines"][0].update(quantity="lots")),
         "field 'new.lines[1].quantity': 'lots' is not a decimal number"),
    Case("plan active maybe", ("apply", "run1", "--dry-run"), edit_plan(set_new("supplier", "active", "maybe")),
         "'maybe' is not true or false"),
    Case("plan date", ("apply", "run1", "--dry-run"), edit_plan(set_new("purchase_order", "date", "yesterday")),
         "'yesterday' is not a date"),
    Case("plan field of another kind", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: first("supplier", "name")(b)["new"].update(total="1")),
         "field 'new.total': is not a field of a supplier"),
    Case("plan key unknown", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: b["actions"][0]["keys"].update(sql="1")), "field 'keys': unknown key 'sql'"),
    Case("plan id edited", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: b["actions"][0]["new"].update(name="Other"), recompute=False),
         "field 'id': does not match the action's content"),
    Case("reverse plan unlinks an unknown action", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: b.update(reverts="run0", held=[], unlinks=["nope"]), recompute=False),
         "field 'unlinks[1]': 'nope' is not the id of an action of this plan"),
    Case("reverse plan held action without a reason", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: b.update(reverts="run0", unlinks=[], held=[
             {"action_id": "a", "kind": "bill", "op": "create", "target": "xero", "label": "B"}]), recompute=False),
         "field 'held[1]': held action 1 lacks why"),
    Case("reverse plan of no run", ("apply", "run1", "--dry-run"),
         edit_plan(lambda b: b.update(reverts="", held=[], unlinks=[]), recompute=False),
         "field 'reverts': is empty"),
    Case("plan not JSON", ("apply", "run1", "--dry-run"), file_at("reports/run1/plan.json", b"{"), "is not valid JSON"),
    Case("plan not UTF-8", ("apply", "run1"), file_at("reports/run1/plan.json", b"\xff"), "cannot read plan"),
    Case("plan a list", ("apply", "run1"), file_at("reports/run1/plan.json", b"[]"), "the plan is list, not an object"),
    Case("--approve an unknown id", ("apply", "run1", "--approve", "nope"), lambda w: None,
         "--approve names nope, not an action of"),
    Case("apply a file not a plan", ("apply", "recon.toml"), file_at("recon.toml", b""), "is not a run's plan.json"),
    Case("apply a run that does not exist", ("apply", "run9"), lambda w: None, "no plan at run9"),
    # options
    Case("--objects unknown", ("fetch", "--objects", "supplier,invoice"), lambda w: None,
         "unknown object kind(s) invoice"),
    Case("run --timeout -5", ("run", "reconcile.ipynb", "--timeout", "-5"), lambda w: None, "--timeout"),
    Case("run --timeout nan", ("run", "reconcile.ipynb", "--timeout", "nan"), lambda w: None, "--timeout"),
    Case("lab --port 99999", ("lab", "--no-browser", "--port", "99999"), lambda w: None, "--port"),
    Case("--approve empty", ("apply", "run1", "--approve", " , "), lambda w: None, "--approve"),
    # the run folder's other files, notebooks, signing, secrets, the state's version
    Case("run.json not JSON", ("apply", "run1", "--approve", "all"), file_at("reports/run1/run.json", b"{"), "run.json"),
    Case("approvals.jsonl not JSON", ("apply", "run1", "--approve", "all"),
         file_at("reports/run1/approvals.jsonl", b"{\n"), "approvals.jsonl"),
    Case("run a notebook that does not exist", ("run", "nosuch.ipynb"), lambda w: None, "nosuch.ipynb"),
    Case("run an unknown parameter", ("run", "reconcile.ipynb", "-p", "nosuch", "1"), lambda w: None, "nosuch"),
    Case("run a bad parameter value", ("run", "reconcile.ipynb", "-p", "objects", "[1"), lambda w: None, "objects"),
    Case("verify --sign without a key", ("verify", "--sign"), lambda w: None, "no approvals key to sign with"),
    Case("secrets file readable by others", ("fetch",), both(
        file_at("secrets.toml", b'precoro_token = "t"\n'), lambda w: (w.root / "secrets.toml").chmod(0o644),
        config('[profile.default]\nsecrets_file = "secrets.toml"\n')), "is readable by others"),
    Case("state of a newer recon", ("reconcile",), newer_state, "has schema version 999, newer than this recon", STATE),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_ends_in_one_line_and_writes_nothing(case, world, sandbox, capsys):
    case.setup(world)
    files, records = tree(world.root), emulator_state(sandbox)
    try:
        code = cli.main(list(case.argv))
    except SystemExit as exc:  # argparse's own: a usage line, then one line naming the option
        code = exc.code
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.startswith("recon ")]
    assert code == case.code, (code, out, err)
    assert len(lines) == 1 and case.expect in lines[0], err
    assert "Traceback" not in out + err
    assert tree(world.root) == files, "a bad input wrote something"
    assert emulator_state(sandbox) == records, "a bad input wrote to a system"


def test_the_corpus_counts_what_the_docs_say():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "approve-apply.md").read_text()
    assert f"| bad inputs ending in one line, the right exit status and nothing written | {len(CASES)} " in doc


def test_a_broken_earlier_snapshot_is_no_base_and_no_reason_to_stop(world, capsys):
    """Not bad input to refuse: the earlier run's snapshot is only where an incremental fetch would start."""
    file_at("reports/old/run.json", b'{"started_at": "2026-12-01T00:00:00Z"}')(world)
    file_at("reports/old/snapshot.json", b"{")(world)
    assert cli.main(["fetch", "--objects", "supplier"]) == 0
    out = capsys.readouterr().out
    assert "warning: the snapshot of run old cannot be read" in out and "fetching in full" in out


def test_a_read_only_state_can_still_be_verified(world, capsys):
    """Not bad input for a command that only reads it: `recon verify` of a state file on a read-only backup."""
    read_only_state(world)
    assert cli.main(["verify"]) == 0, capsys.readouterr()
    assert "state.sqlite: " in capsys.readouterr().out
