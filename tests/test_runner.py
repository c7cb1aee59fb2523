"""recon.runner and `recon run`: parameters checked before a kernel starts, failures kept and named, HTML export.

The notebooks here are tiny but real: they run in the `recon` kernel through papermill.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pytest

from recon import runner
from recon.runner import CellError, KernelNotFound, ParameterError, RunError, check_parameters, run_notebook

PARAMS = '''run_id = ""  # the run
full = False  # full refresh
objects = ["supplier"]
limit = 3
ratio = 1.5
profile = "default"
company = ""  # required: which company
'''


def write_notebook(path: Path, params: str, *cells: str, meta: dict | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test notebook"), p] + [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "recon", "display_name": "recon (Python 3)", "language": "python"}
    if meta:
        nb.metadata["recon"] = meta
    nbformat.write(nb, path)
    return path


@pytest.fixture
def nb(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "show.ipynb", PARAMS,
                          "print(f'company={company} full={full!r} objects={objects!r} limit={limit!r}')")


@pytest.mark.parametrize("given, message", [
    ({"company": "c", "colour": "red"}, "unknown parameter(s) colour"),
    ({"full": "true"}, "missing required parameter(s) company"),
    ({"company": "c", "full": "maybe"}, "parameter 'full' expects bool"),
    ({"company": "c", "limit": "three"}, "parameter 'limit' expects int"),
    ({"company": "c", "xero_token": "abc"}, "secret-looking parameter(s) xero_token"),
])
def test_bad_parameters_are_errors_naming_the_parameter(nb: Path, given: dict, message: str) -> None:
    with pytest.raises(ParameterError) as exc:
        check_parameters(nb, given)
    assert str(exc.value).startswith("show.ipynb: ") and message in str(exc.value)


@pytest.mark.parametrize("given, expected", [
    ({"company": "c", "full": "true"}, {"company": "c", "full": True}),
    ({"company": "c", "full": "No"}, {"company": "c", "full": False}),
    ({"company": "c", "objects": "supplier, bill"}, {"company": "c", "objects": ["supplier", "bill"]}),
    ({"company": "c", "objects": '["item"]'}, {"company": "c", "objects": ["item"]}),
    ({"company": "c", "limit": "7", "ratio": "0.25"}, {"company": "c", "limit": 7, "ratio": 0.25}),
    ({"company": "12"}, {"company": "12"}),
    ({"company": "c", "full": True}, {"company": "c", "full": True}),
])
def test_text_values_are_converted_to_the_declared_type(nb: Path, given: dict, expected: dict) -> None:
    assert check_parameters(nb, given) == expected


def test_the_error_lists_what_the_notebook_declares(nb: Path) -> None:
    with pytest.raises(ParameterError, match=re.escape("It declares: run_id (str), full (bool), objects (list), "
                                                       "limit (int), ratio (float), profile (str), company (str, required)")):
        check_parameters(nb, {"colour": "red", "company": "c"})


def test_a_bad_parameter_fails_before_any_run_folder_exists(nb: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError):
        run_notebook(nb, {"company": "c", "colour": "red"}, reports_dir=tmp_path / "reports", run_id="r1")
    assert not (tmp_path / "reports").exists()


def test_a_secret_in_the_parameters_cell_is_refused(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "s.ipynb", 'run_id = ""\nclient_secret = ""\n')
    with pytest.raises(ParameterError, match="'client_secret' looks like a secret"):
        check_parameters(path, {})


def test_a_notebook_needs_exactly_one_parameters_cell(tmp_path: Path) -> None:
    nbk = nbformat.v4.new_notebook()
    nbk.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nbk, tmp_path / "none.ipynb")
    with pytest.raises(RunError, match="exactly one cell tagged 'parameters' \\(it has 0\\)"):
        check_parameters(tmp_path / "none.ipynb", {})


def test_a_run_keeps_the_executed_notebook_and_exports_html(nb: Path, tmp_path: Path) -> None:
    result = run_notebook(nb, {"company": "Acme <Ltd>", "full": "yes", "limit": "4"}, run_id="run-1",
                          reports_dir=tmp_path / "reports")
    assert result.folder == tmp_path / "reports" / "run-1"
    assert result.executed == result.folder / "show.ipynb"
    executed = nbformat.read(result.executed, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'run_id = "run-1"' in injected[0].source
    outputs = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "company=Acme <Ltd> full=True objects=['supplier'] limit=4" in outputs
    html = result.html.read_text()
    assert result.html == result.folder / "show.html"
    assert "company=Acme &lt;Ltd&gt; full=True" in html
    assert "jp-InputArea-editor" in html  # code kept: this notebook does not ask for html_no_input


def test_export_without_input_and_without_remote_scripts(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "audit_report.ipynb", 'run_id = ""\n', "secret_code_marker = 1\nprint('shown')",
                          meta={"html_name": "audit.html", "html_no_input": True, "title": "Audit"})
    result = run_notebook(path, run_id="r2", reports_dir=tmp_path)
    html = result.html.read_text()
    assert result.html.name == "audit.html"
    assert "shown" in html and "secret_code_marker" not in html
    assert "<title>Audit</title>" in html
    assert not re.findall(r'<script[^>]+src=|<link[^>]+href="http', html), "the export must load nothing remote"


def test_a_failing_cell_keeps_the_notebook_and_names_cell_and_error(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "fails.ipynb", 'run_id = ""\n', "x = 1", "raise ValueError('bad bill B-7')",
                          "print('never')")
    with pytest.raises(CellError) as exc:
        run_notebook(path, run_id="r3", reports_dir=tmp_path)
    err = exc.value
    assert (err.cell, err.ename, err.evalue) == (3, "ValueError", "bad bill B-7")
    assert "fails.ipynb failed in code cell 3 with ValueError: bad bill B-7" in str(err)
    assert err.executed == tmp_path / "r3" / "fails.ipynb" and err.executed.is_file()
    assert "bad bill B-7" in (tmp_path / "r3" / "fails.html").read_text()


def test_a_cell_over_the_timeout_is_stopped_and_named(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "slow.ipynb", 'run_id = ""\n', "import time\ntime.sleep(30)")
    with pytest.raises(CellError) as exc:
        run_notebook(path, run_id="r4", reports_dir=tmp_path, timeout=2)
    assert (exc.value.cell, exc.value.ename) == (2, "CellTimeoutError")
    assert exc.value.executed.is_file()


def test_a_missing_kernel_names_the_command_that_registers_it(nb: Path, tmp_path: Path) -> None:
    with pytest.raises(KernelNotFound, match="ipykernel install --sys-prefix --name no-such-kernel"):
        run_notebook(nb, {"company": "c"}, kernel="no-such-kernel", reports_dir=tmp_path)


@pytest.mark.parametrize("run_id", ["../up", "a b", "", "x/y"])
def test_run_ids_must_be_folder_names(nb: Path, tmp_path: Path, run_id: str) -> None:
    with pytest.raises(ParameterError):
        run_notebook(nb, {"company": "c", "run_id": run_id} if run_id else {"company": "c"},
                     run_id=run_id or "..", reports_dir=tmp_path)


def test_new_run_ids_sort_by_time_and_take_an_injected_clock() -> None:
    t = datetime(2026, 3, 1, 9, 5, 7, tzinfo=timezone.utc)
    assert runner.new_run_id(t, "beef") == "20260301-090507-beef"
    assert runner.new_run_id(t) < runner.new_run_id(datetime(2026, 3, 1, 9, 5, 8, tzinfo=timezone.utc))


def recon_cli(*args: str, cwd: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "RECON_REPORTS_DIR": str(cwd / "reports"),
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "recon.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_recon_run_with_a_wrong_parameter_fails_before_execution(nb: Path, tmp_path: Path) -> None:
    proc = recon_cli("run", str(nb), "-p", "company", "c", "-p", "colour", "red", cwd=tmp_path)
    assert proc.returncode == 2
    assert "recon run: show.ipynb: unknown parameter(s) colour" in proc.stderr
    assert not (tmp_path / "reports").exists()


def test_recon_run_prints_where_the_run_went(nb: Path, tmp_path: Path) -> None:
    proc = recon_cli("run", str(nb), "-p", "company", "c", "-p", "run_id", "cli-1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"executed notebook {tmp_path / 'reports' / 'cli-1' / 'show.ipynb'}" in proc.stdout
    assert (tmp_path / "reports" / "cli-1" / "show.html").is_file()


def test_recon_run_reports_a_failing_cell(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "fails.ipynb", 'run_id = ""\n', "1/0")
    proc = recon_cli("run", str(path), "-p", "run_id", "cli-2", cwd=tmp_path)
    assert proc.returncode == 1
    assert "failed in code cell 2 with ZeroDivisionError" in proc.stderr
    assert (tmp_path / "reports" / "cli-2" / "fails.ipynb").is_file()


def test_run_kernels_talk_over_unix_sockets_not_plain_tcp(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "transport.ipynb", 'run_id = ""\n',
                          "import json\nfrom ipykernel import get_connection_info\n"
                          "print('transport=' + json.loads(get_connection_info())['transport'])")
    result = run_notebook(path, run_id="r-ipc", reports_dir=tmp_path, export=False, cwd=tmp_path)
    executed = nbformat.read(result.executed, as_version=4)
    outputs = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "transport=ipc" in outputs
    assert not list(tmp_path.glob("kernel-ipc*")), "socket files must not be left in the working directory"


def test_without_a_registered_recon_kernel_the_notebook_runs_on_this_interpreter() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    class NoKernels(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str):  # type: ignore[override]
            raise NoSuchKernel(kernel_name)

    manager = runner._local_kernel_manager()(kernel_name="recon", kernel_spec_manager=NoKernels())
    assert manager.kernel_spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    other = runner._local_kernel_manager()(kernel_name="someone-else", kernel_spec_manager=NoKernels())
    with pytest.raises(NoSuchKernel):
        other.kernel_spec


@pytest.mark.parametrize("given", ["sync.ipynb", "notebooks/sync.ipynb", "sync", "/no/such/place/sync.ipynb"])
def test_recons_own_notebooks_are_found_by_name_from_any_folder(given: str) -> None:
    assert runner.resolve_notebook(given).resolve() == runner.notebooks_dir() / "sync.ipynb"


def test_an_unknown_notebook_names_recons_own() -> None:
    with pytest.raises(RunError, match="recon's own are reconcile.ipynb, sync.ipynb, audit_report.ipynb"):
        runner.resolve_notebook("colours.ipynb")


@pytest.mark.skipif(sys.platform == "win32", reason="Windows keeps access in ACLs, not mode bits")
@pytest.mark.parametrize("cells, fails", [
    (("print('bill B-7 is paid')",), False),
    (("raise ValueError('bad bill B-7')",), True),
], ids=["finished", "failed"])
def test_papermill_output_is_private_under_an_open_umask(tmp_path: Path, cells: tuple[str, ...], fails: bool) -> None:
    """papermill writes the executed notebook (cell by cell) and nbconvert the HTML: both hold business data, so
    both stay 0600 in a 0700 run folder even when the umask lets everyone read what a process makes."""
    import os
    import stat

    path = write_notebook(tmp_path / "private.ipynb", 'run_id = ""\n', *cells)
    before = os.umask(0)
    try:
        if fails:
            with pytest.raises(CellError):
                run_notebook(path, run_id="r9", reports_dir=tmp_path / "reports")
        else:
            run_notebook(path, run_id="r9", reports_dir=tmp_path / "reports")
    finally:
        os.umask(before)
    folder = tmp_path / "reports" / "r9"
    made = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [folder, *folder.rglob("*")]}
    assert {"private.ipynb", "private.html"} <= set(made)
    assert {name: oct(mode) for name, mode in made.items() if mode & 0o077} == {}
    assert "bill B-7" in (folder / "private.ipynb").read_text()
