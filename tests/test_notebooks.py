"""The three notebooks under nbval against the sandbox, and the `recon demo` loop end to end.

nbval runs with ``--nbval-lax``: every cell must run without error, and the cells marked
``# NBVAL_CHECK_OUTPUT`` (reconcile's kinds of difference) must print what the committed notebook holds,
after the sanitisers of ``tests/nbval_sanitize.cfg`` (run ids, times, paths, ports, widget ids). The checked
outputs are written by ``tools/make_notebooks.py`` (``EXPECTED``) for the demo data. ``sync.ipynb`` with its
defaults (no run, no policy) refuses to run by design; it is run with parameters in ``test_loop.py`` and by
the demo here.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from recon import runner

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(scope="module")
def sandbox_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A running demo sandbox, a store seeded to match, and the environment that hands both to kernels."""
    from recon.demo import reset_state, sandbox_environment
    from recon.sandbox import Sandbox

    tmp = tmp_path_factory.mktemp("nb")
    with Sandbox(seed="demo") as sb:
        reset_state(tmp / "state.sqlite", "demo")
        env = sandbox_environment(os.environ, sb.xero_url, sb.precoro_url, tmp / "state.sqlite", tmp / "reports",
                                  instance="nbval")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        yield env


def test_the_committed_notebooks_are_what_the_generator_writes() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_notebooks
    finally:
        sys.path.pop(0)
    for name, (meta, cells) in make_notebooks.NOTEBOOKS.items():
        built = make_notebooks.build(name, meta, cells)
        assert nbformat.writes(built) == nbformat.writes(nbformat.read(NOTEBOOKS / name, as_version=4)), name


@pytest.mark.parametrize("name", ["reconcile.ipynb", "audit_report.ipynb"])
def test_notebook_runs_under_nbval_against_the_sandbox(sandbox_env: dict[str, str], name: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "--nbval-kernel-name", "recon",
         "--nbval-cell-timeout", "300", "-o", "addopts=", "-o", "testpaths=", str(NOTEBOOKS / name)],
        cwd=Path(sandbox_env["RECON_REPORTS_DIR"]).parent, env=sandbox_env, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


@pytest.mark.parametrize("name", ["reconcile.ipynb", "sync.ipynb", "audit_report.ipynb"])
def test_notebooks_have_one_parameters_cell_and_no_secret(name: str) -> None:
    params = runner.notebook_parameters(NOTEBOOKS / name)
    assert "run_id" in params and "reports_dir" in params and "profile" in params
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == runner.KERNEL_NAME
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not runner.SECRET_NAME.search(code.replace("NBVAL", "")), "a notebook must not mention credentials"


def test_the_audit_notebook_needs_a_run_id_under_recon_run(tmp_path: Path) -> None:
    with pytest.raises(runner.ParameterError, match="missing required parameter\\(s\\) run_id"):
        runner.run_notebook(NOTEBOOKS / "audit_report.ipynb", {}, reports_dir=tmp_path)


def test_the_audit_notebook_exports_the_report_without_code(tmp_path: Path) -> None:
    import sample_run

    folder = sample_run.build(tmp_path / "reports" / "20260301-090507-beef")
    result = runner.run_notebook(NOTEBOOKS / "audit_report.ipynb", {"run_id": folder.name},
                                 reports_dir=tmp_path / "reports")
    html = result.html.read_text()
    assert result.html == folder / "audit.html" and result.executed == folder / "audit_report.ipynb"
    assert "report.show" not in html and "load_run" not in html  # exported without code cells
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "xero-secret-value-9f3a" not in html and "precoro-token-value-77c1" not in html
    again = runner.export_html(result.executed, tmp_path / "again.html", no_input=True).read_text()
    assert again == html  # the export is deterministic


def test_recon_demo_shows_every_planted_case(tmp_path: Path) -> None:
    from recon.sandbox import demo
    from recon.report_html import esc

    proc = subprocess.run([sys.executable, "-m", "recon.cli", "demo"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "RECON_REPORTS_DIR": str(tmp_path / "reports")},
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report_line = [line for line in proc.stdout.splitlines() if line.startswith("audit report: ")]
    audit = Path(report_line[0].removeprefix("audit report: "))
    assert audit.is_file() and audit.parent.parent == tmp_path / "reports"
    html = audit.read_text()
    with open(audit.parent / "differences.csv", newline="") as fh:
        diffs = list(csv.DictReader(fh))
    for case in demo.PLANTED:
        # matched on the record's ids: reconcile labels items by name where the demo names them by code
        rows = [d for d in diffs if d["object"] == case.kind and d["kind"] == case.difference
                and ((case.precoro_id and d["precoro_id"] == case.precoro_id)
                     or (case.xero_id and d["xero_id"] == case.xero_id))]
        assert rows, case
        assert esc(rows[0]["label"]) in html and esc(rows[0]["reason"]) in html, case
    assert "The approvals chain is intact." in html
    assert "policy:demo" in html
    for name in ("sync.ipynb", "sync.html", "audit_report.ipynb", "outcome.json", "approvals.jsonl", "run.json"):
        assert (audit.parent / name).is_file(), name


def test_with_nothing_configured_a_notebook_starts_its_own_sandbox(tmp_path: Path) -> None:
    """No credentials and no sandbox serving: the kernel starts one, with a store in the run folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECON_")}
    env.update({"PYTHONPATH": str(ROOT), "RECON_REPORTS_DIR": str(tmp_path / "reports"),
                "RECON_DATA_DIR": str(tmp_path / "data")})
    proc = subprocess.run([sys.executable, "-m", "recon.cli", "run", str(NOTEBOOKS / "reconcile.ipynb"),
                           "-p", "objects", "supplier", "-p", "run_id", "solo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    folder = tmp_path / "reports" / "solo"
    html = (folder / "reconcile.html").read_text()
    assert "built-in sandbox with demo data started in this process" in html
    assert (folder / "state.sqlite").is_file() and (folder / "plan.json").is_file()
    # the difference view (itables, offline): the plain words of a supplier conflict and the record's state
    assert "Changed on both sides: Xero wins" in html and "Integrated" in html
    assert "cdn.datatables.net" not in html and "unpkg.com" not in html


def test_the_plain_papermill_command_runs_a_notebook(tmp_path: Path) -> None:
    import sample_run

    folder = sample_run.build(tmp_path / "reports" / "20260301-090507-beef")
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([str(Path(sys.executable).parent / "papermill"), str(NOTEBOOKS / "audit_report.ipynb"), str(out),
                           "-k", "recon", "-p", "run_id", folder.name, "-p", "reports_dir", str(folder.parent)],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    outputs = [o for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code" for o in c.outputs]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert f'data-run-id="{folder.name}"' in html and "Acme Ltd" in html


def test_reporting_on_a_run_that_does_not_exist_names_the_problem(tmp_path: Path) -> None:
    with pytest.raises(runner.CellError) as exc:
        runner.run_notebook(NOTEBOOKS / "audit_report.ipynb", {"run_id": "no-such-run"}, reports_dir=tmp_path)
    assert exc.value.ename == "ConfigError" and "holds no run" in exc.value.evalue
    assert (tmp_path / "no-such-run" / "audit_report.ipynb").is_file()
