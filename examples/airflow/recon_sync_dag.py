"""recon in Airflow: the sync and audit-report notebooks run by the papermill operator, weekday mornings.

Needs ``apache-airflow-providers-papermill`` and recon installed in the workers' environment with its kernel
registered (``python -m ipykernel install --sys-prefix --name recon``). Credentials come from the workers'
environment or the profile's table in recon.toml (``RECON_CONFIG``), never from the DAG. The profile also
says where its state is; give it ``reports_dir = "/srv/recon/reports"`` so that the run folders this DAG
writes are the ones JupyterLab and ``recon run`` see for the same profile. The first task checks the
parameters against the notebooks before anything runs (what ``recon run`` does) and creates the run folder;
the last exports the self-contained audit.html.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.providers.papermill.operators.papermill import PapermillOperator

RECON_HOME = "/srv/recon"
PROFILE = "production"
REPORTS = f"{RECON_HOME}/reports"  # the profile's reports_dir
RUN_ID = "{{ ts_nodash }}-airflow"  # one run folder per DAG run: reports/<run_id>/
SYNC_PARAMETERS = {"profile": PROFILE, "run_id": RUN_ID, "policy": "xero_to_precoro_reference", "reports_dir": REPORTS}
REPORT_PARAMETERS = {"profile": PROFILE, "run_id": RUN_ID, "reports_dir": REPORTS}


def prepare_run(run_id: str) -> None:
    """Check the parameters against the notebooks, then create the run folder papermill writes into."""
    from pathlib import Path

    from recon.runner import check_parameters, check_run_id

    check_parameters(f"{RECON_HOME}/notebooks/sync.ipynb", SYNC_PARAMETERS)
    check_parameters(f"{RECON_HOME}/notebooks/audit_report.ipynb", REPORT_PARAMETERS)
    (Path(REPORTS) / check_run_id(run_id)).mkdir(parents=True, exist_ok=True)


def export_report(run_id: str) -> str:
    from pathlib import Path

    from recon.runner import export_html

    folder = Path(REPORTS) / run_id
    return str(export_html(folder / "audit_report.ipynb", folder / "audit.html", no_input=True))


def notebook_task(name: str, parameters: dict[str, str]) -> PapermillOperator:
    """Run ``notebooks/<name>.ipynb`` with the ``recon`` kernel into the run folder."""
    return PapermillOperator(
        task_id=name,
        input_nb=f"{RECON_HOME}/notebooks/{name}.ipynb",
        output_nb=f"{REPORTS}/{RUN_ID}/{name}.ipynb",
        parameters=parameters,
        kernel_name="recon",
        language_name="python",
    )


with DAG(
    dag_id="recon_sync",
    schedule="15 6 * * 1-5",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # recon also refuses a second apply on the same profile
    default_args={"retries": 1, "retry_delay": timedelta(minutes=15)},
    tags=["recon"],
) as dag:
    check = PythonOperator(task_id="prepare_run", python_callable=prepare_run, op_args=[RUN_ID])
    sync = notebook_task("sync", SYNC_PARAMETERS)
    report = notebook_task("audit_report", REPORT_PARAMETERS)
    export = PythonOperator(task_id="export_html", python_callable=export_report, op_args=[RUN_ID])
    check >> sync >> report >> export
