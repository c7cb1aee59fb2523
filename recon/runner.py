"""Papermill runs of recon's notebooks into ``reports/<run_id>/``, with the HTML export.

>>> result = run_notebook("notebooks/sync.ipynb", {"policy": "demo"}, reports_dir=Path("reports"))
>>> result.executed, result.html          # reports/<run_id>/sync.ipynb, reports/<run_id>/sync.html

What this adds to plain papermill, and why:

- Parameters are checked against the notebook's ``parameters`` cell *before* a kernel starts: an unknown
  name or a missing required one (its inline comment starts with ``required``) is a :class:`ParameterError`,
  never papermill's warning. Text values (from ``recon run -p NAME VALUE``) are converted to the type of the
  parameter's default, so ``-p full true`` gives ``True``. A parameter whose name looks like a secret is
  refused: secrets come from settings, never from notebooks.
- The kernel is the ``recon`` kernel when it is registered (``make install`` registers it), else the
  interpreter recon itself runs in, so a plain ``pip install`` needs no kernel step; any other kernel name
  that is not registered is a clear :class:`KernelNotFound` naming the command that registers it.
- A notebook is a path, or the name of one of recon's own (``sync.ipynb``, ``notebooks/sync.ipynb``): those
  come with the package, so ``recon run notebooks/sync.ipynb`` works from any folder.
- Each cell has an execution timeout.
- The executed notebook is kept in the run folder even when a cell fails; the failure is a
  :class:`CellError` naming the cell and the error.
- The HTML export is self-contained (no CDN script; see ``recon/templates/recon_html``), and leaves the code
  out when the notebook's metadata says ``"recon": {"html_no_input": true}``. ``"html_name"`` in the same
  table names the file (``audit.html`` for the audit report).
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping

from recon import run_folder
from recon.errors import ReconError

#: The kernel ``make install`` registers (``ipykernel install --sys-prefix --name recon``).
KERNEL_NAME = "recon"
#: Default per-cell execution timeout, seconds.
DEFAULT_TIMEOUT = 900.0
#: Parameter names refused because they look like credentials.
SECRET_NAME = re.compile(r"secret|token|password|passwd|api_?key|credential", re.IGNORECASE)
RUN_ID = run_folder.RUN_ID
TEMPLATES = Path(__file__).parent / "templates"
#: recon's own notebooks, as they come in the package (``recon/notebooks`` in a wheel)
NOTEBOOK_NAMES = ("reconcile.ipynb", "sync.ipynb", "audit_report.ipynb")


class RunError(ReconError):
    """A notebook run could not be started or did not finish."""


class ParameterError(RunError):
    """Parameters that do not match the notebook's ``parameters`` cell (raised before anything runs)."""


class KernelNotFound(RunError):
    """The pinned Jupyter kernel is not registered."""


class CellError(RunError):
    """A cell raised. ``executed`` is the kept notebook; ``cell`` the 1-based code-cell number."""

    def __init__(self, message: str, *, executed: Path, cell: int, ename: str, evalue: str) -> None:
        super().__init__(message)
        self.executed, self.cell, self.ename, self.evalue = executed, cell, ename, evalue


@dataclass(frozen=True)
class Parameter:
    """One assignment of a notebook's ``parameters`` cell."""

    name: str
    type: str  # bool, int, float, str, list, dict or any
    default: Any
    help: str = ""

    @property
    def required(self) -> bool:
        return self.help.lower().startswith("required")


@dataclass(frozen=True)
class RunResult:
    """Where a finished run left its files."""

    run_id: str
    folder: Path
    executed: Path
    html: Path | None
    parameters: Mapping[str, Any] = field(default_factory=dict)


def new_run_id(now: datetime | None = None, suffix: str | None = None) -> str:
    """``YYYYMMDD-HHMMSS-xxxx`` in UTC (:func:`recon.run_folder.new_run_id`)."""
    return run_folder.new_run_id(now, suffix)


def check_run_id(run_id: str) -> str:
    try:
        return run_folder.check_run_id(run_id)
    except run_folder.RunIdError as exc:
        raise ParameterError(str(exc)) from None


def notebooks_dir() -> Path:
    """Where recon's own notebooks are: ``notebooks/`` of a source checkout, else the package's copy."""
    source = Path(__file__).resolve().parents[1]
    if (source / "pyproject.toml").is_file() and (source / "notebooks" / "sync.ipynb").is_file():
        return source / "notebooks"
    return Path(__file__).resolve().parent / "notebooks"


def resolve_notebook(notebook: Path | str) -> Path:
    """A notebook file as given, else the one of recon's own notebooks it names."""
    path = Path(notebook)
    if path.is_file():
        return path
    name = path.name if path.suffix else f"{path.name}.ipynb"
    if name in NOTEBOOK_NAMES and (notebooks_dir() / name).is_file():
        return notebooks_dir() / name
    raise RunError(f"no notebook at {path} (recon's own are {', '.join(NOTEBOOK_NAMES)}: `recon run sync.ipynb`)")


def notebook_parameters(notebook: Path) -> dict[str, Parameter]:
    """The notebook's ``parameters`` cell as :class:`Parameter` s, in order of assignment."""
    import nbformat
    from papermill.translators import PythonTranslator

    notebook = Path(notebook)
    if not notebook.is_file():
        raise RunError(f"no notebook at {notebook}")
    nb = nbformat.read(notebook, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise RunError(f"{notebook} must have exactly one cell tagged 'parameters' (it has {len(tagged)})")
    params = {}
    # recon's notebooks are Python; the translator reads the cell without needing the kernel's metadata.
    for info in PythonTranslator.inspect(tagged[0]):
        try:
            default = ast.literal_eval(info.default)
        except (ValueError, SyntaxError):
            default = None
        kind = type(default).__name__ if default is not None else (info.inferred_type_name or "any")
        params[info.name] = Parameter(info.name, kind if kind in ("bool", "int", "float", "str", "list", "dict")
                                      else "any", default, info.help or "")
    assigned = [t.id for node in ast.parse(tagged[0].source).body if isinstance(node, (ast.Assign, ast.AnnAssign))
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
    unread = [n for n in assigned if n not in params]
    if unread:
        raise RunError(f"{notebook}: papermill cannot read the parameter line(s) of {', '.join(unread)} "
                       "(keep each on one line: NAME = literal  # comment without quotes)")
    for name in params:
        if SECRET_NAME.search(name):
            raise ParameterError(f"{notebook}: parameter {name!r} looks like a secret; secrets come from settings "
                                 "(environment or recon.toml), never from notebook parameters")
    return params


_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


def _convert(param: Parameter, value: Any) -> Any:
    if not isinstance(value, str) or param.type in ("str", "any"):
        return value
    text = value.strip()
    try:
        if param.type == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError
        if param.type == "int":
            return int(text)
        if param.type == "float":
            return float(text)
        if param.type == "list":
            if text.startswith("["):
                parsed = json.loads(text)
                if not isinstance(parsed, list):
                    raise ValueError
                return parsed
            return [part.strip() for part in text.split(",") if part.strip()]
        if param.type == "dict":
            parsed = json.loads(text)
            if not isinstance(parsed, dict):
                raise ValueError
            return parsed
    except (ValueError, json.JSONDecodeError):
        pass
    raise ParameterError(f"parameter {param.name!r} expects {param.type} (default {param.default!r}), got {value!r}")


def check_parameters(notebook: Path, given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``given`` against the notebook and return them converted to the declared types.

    Raises :class:`ParameterError` naming every unknown, missing or ill-typed parameter.
    """
    declared = notebook_parameters(notebook)
    unknown = sorted(set(given) - set(declared))
    secret = sorted(n for n in given if SECRET_NAME.search(n))
    missing = sorted(n for n, p in declared.items() if p.required and n not in given)
    problems = []
    if secret:
        problems.append(f"refused secret-looking parameter(s) {', '.join(secret)}: secrets come from settings")
    if unknown:
        problems.append(f"unknown parameter(s) {', '.join(unknown)}")
    if missing:
        problems.append(f"missing required parameter(s) {', '.join(missing)}")
    if problems:
        known = ", ".join(f"{p.name} ({p.type}{', required' if p.required else ''})" for p in declared.values())
        raise ParameterError(f"{Path(notebook).name}: {'; '.join(problems)}. It declares: {known or 'nothing'}")
    try:
        return {name: _convert(declared[name], value) for name, value in given.items()}
    except ParameterError as exc:
        raise ParameterError(f"{Path(notebook).name}: {exc}") from None


def kernel_registered(name: str = KERNEL_NAME) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return False
    return True


def ensure_kernel(name: str = KERNEL_NAME) -> None:
    """Raise :class:`KernelNotFound` unless the kernel ``name`` is registered (the ``recon`` kernel falls back
    to this interpreter, so it is never missing)."""
    if name != KERNEL_NAME and not kernel_registered(name):
        raise KernelNotFound(
            f"Jupyter kernel {name!r} not found. Register it with `make install`, or "
            f"`python -m ipykernel install --sys-prefix --name {name}` from recon's environment")


def interpreter_kernel_spec() -> Any:
    """A kernel spec for the interpreter recon runs in (what ``recon`` means when it is not registered)."""
    from jupyter_client.kernelspec import KernelSpec

    return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                      display_name="recon (Python 3)", language="python", name=KERNEL_NAME,
                      metadata={"debugger": True})


def _cell_number(executed: Path, cell_index: int) -> int:
    """1-based number of the failing cell among the code cells of the *source* notebook (papermill inserts an
    injected-parameters cell, which the user never wrote, so it is not counted)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    number = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "injected-parameters" not in cell.metadata.get("tags", []):
            number += 1
        if i == cell_index:
            return number
    return cell_index + 1


def run_notebook(
    notebook: Path | str,
    parameters: Mapping[str, Any] | None = None,
    *,
    run_id: str | None = None,
    reports_dir: Path | str | None = None,
    kernel: str = KERNEL_NAME,
    timeout: float = DEFAULT_TIMEOUT,
    export: bool = True,
    cwd: Path | str | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: bool = False,
) -> RunResult:
    """Execute ``notebook`` with papermill into ``reports_dir/<run_id>/`` and export it to HTML.

    ``reports_dir`` defaults to the profile's reports folder. ``run_id`` is injected as the notebook's
    ``run_id`` parameter when it declares one (a given ``run_id`` parameter wins). Raises
    :class:`ParameterError` or :class:`KernelNotFound` before anything runs, and :class:`CellError` (after
    keeping the executed notebook, and exporting it) when a cell fails.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    notebook = resolve_notebook(notebook)
    if reports_dir is None:
        from recon.config import load_settings

        reports_dir = load_settings().reports_dir
    given = dict(parameters or {})
    declared = notebook_parameters(notebook)
    if "run_id" in declared and not declared["run_id"].required:
        run_id = str(given.setdefault("run_id", run_id or new_run_id(clock() if clock else None)))
    elif "run_id" in given:
        run_id = str(given["run_id"])
    if "reports_dir" in declared:
        # Kernels and the caller must agree on where run folders are, whatever the kernel's directory.
        given.setdefault("reports_dir", str(Path(reports_dir).resolve()))
    run_id = check_run_id(run_id or new_run_id(clock() if clock else None))
    values = check_parameters(notebook, given)
    ensure_kernel(kernel)

    folder = run_folder.RunFolder.create(reports_dir, run_id)
    executed = folder.notebook(notebook.name)
    html_name, no_input = _export_options(notebook)
    html = folder.file(html_name) if export else None
    try:
        papermill.execute_notebook(
            str(notebook), str(executed), parameters=values, kernel_name=kernel, language="python", execution_timeout=timeout,
            progress_bar=progress, cwd=str(cwd or Path.cwd()), request_save_on_cell_execute=True,
            kernel_manager_class=_local_kernel_manager(),
        )
    except PapermillExecutionError as exc:
        _fail(notebook, executed, html, _error_cell(executed, exc.cell_index), exc.ename, exc.evalue)
    except CellTimeoutError:
        _fail(notebook, executed, html, _running_cell(executed), "CellTimeoutError",
              f"the cell ran longer than the {timeout:g} s execution timeout")
    if html:
        export_html(executed, html, no_input=no_input)
    return RunResult(run_id=run_id, folder=folder.path, executed=executed, html=html, parameters=values)


def _local_kernel_manager() -> type:
    """A kernel manager whose kernels talk to papermill over Unix sockets (IPC) instead of plain-text TCP on
    loopback (local processes only, and no "running over TCP without encryption" warning on every run; Windows
    has no IPC transport and keeps TCP), and whose ``recon`` kernel is this interpreter when no kernel of that
    name is registered."""
    from jupyter_client.kernelspec import NoSuchKernel
    from jupyter_client.manager import AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            if os.name != "nt":
                kwargs.setdefault("transport", "ipc")
                # sockets named for this kernel alone: the default, kernel-ipc-N in the working folder, is shared by
                # every kernel started there at once (a scheduler's parallel runs), which then cross messages
                kwargs.setdefault("ip", _ipc_path())
            super().__init__(**kwargs)

        @property
        def kernel_spec(self) -> Any:
            if self._kernel_spec is None and self.kernel_name == KERNEL_NAME:
                try:
                    self._kernel_spec = self.kernel_spec_manager.get_kernel_spec(self.kernel_name)
                except NoSuchKernel:
                    self._kernel_spec = interpreter_kernel_spec()
            return super().kernel_spec

    return LocalKernelManager


def _ipc_path() -> str:
    """A socket path prefix of a kernel's own, in Jupyter's runtime folder, or the temporary folder when that
    path would pass what a Unix socket's name may hold (107 bytes); the kernel removes its files."""
    import tempfile
    import uuid

    from jupyter_core.paths import jupyter_runtime_dir

    name = f"recon-{uuid.uuid4().hex[:12]}-ipc"
    runtime = Path(jupyter_runtime_dir())
    if len(str(runtime / name)) + 4 > 100:
        return str(Path(tempfile.gettempdir()) / name)
    runtime.mkdir(parents=True, exist_ok=True)
    return str(runtime / name)


def _error_cell(executed: Path, fallback: int) -> int:
    """Index of the first cell with an error output in the kept notebook (papermill puts a banner cell on top,
    so its own index does not point into the file it wrote)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return i
    return fallback


def _running_cell(executed: Path) -> int:
    """Index of the cell papermill was running when execution stopped (from its per-cell status)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("papermill", {}).get("status") == "running":
            return i
    return len(nb.cells) - 1


def _fail(notebook: Path, executed: Path, html: Path | None, cell_index: int, ename: str, evalue: str) -> None:
    cell = _cell_number(executed, cell_index)
    if html:
        export_html(executed, html, no_input=False)  # a failure is easier to read next to its code
    raise CellError(
        f"{notebook.name} failed in code cell {cell} with {ename}: {evalue}. "
        f"The executed notebook is kept at {executed}", executed=executed, cell=cell, ename=ename,
        evalue=evalue) from None


def _export_options(notebook: Path) -> tuple[str, bool]:
    import nbformat

    meta = nbformat.read(notebook, as_version=4).metadata.get("recon", {})
    return str(meta.get("html_name") or f"{notebook.stem}.html"), bool(meta.get("html_no_input", False))


def export_html(executed: Path, out: Path, *, no_input: bool = True) -> Path:
    """Export an executed notebook to one self-contained HTML file (inline CSS, no CDN script).

    With ``no_input`` the code cells and prompts are left out: the reader sees only what the cells showed.
    """
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="recon_html", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=no_input, exclude_input_prompt=no_input, exclude_output_prompt=no_input,
                            embed_images=True)
    nb = nbformat.read(executed, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"  # papermill's injected cell has a random id: keep the export deterministic
    # The title comes from the notebook's own metadata, not the path (the report is moved around).
    nb.metadata.setdefault("title", nb.metadata.get("recon", {}).get("title", Path(executed).stem))
    body, _ = exporter.from_notebook_node(nb)
    return run_folder.RunFolder(Path(out).parent).write_html(Path(out).name, body)


def parse_cli_parameters(pairs: list[list[str]] | list[tuple[str, str]]) -> dict[str, str]:
    """``-p NAME VALUE`` pairs into a dict; a name given twice is an error."""
    out: dict[str, str] = {}
    for name, value in pairs:
        if name in out:
            raise ParameterError(f"parameter {name!r} given twice")
        out[name] = value
    return out
