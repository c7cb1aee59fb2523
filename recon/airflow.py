"""The firm's nightly DAG for Airflow 3: one mapped task group per organisation, then a firm-wide summary.

>>> from recon.airflow import firm_dag          # in a file of Airflow's DAGs folder (examples/airflow/)
>>> dag = firm_dag("recon_firm", schedule="0 1 * * *")

Airflow is not a dependency of recon: install it beside recon on the scheduler and workers
(``pip install 'recon[airflow]'``), with ``RECON_CONFIG`` pointing at the firm's recon.toml and the secrets its
profiles name (``KEY_env``) in the workers' environment. The tasks are thin: each calls one step of
:mod:`recon.firm`, which does the work and is tested without Airflow.

::

    organisations ──► organisation (mapped, one per profile) ──────────────────────────► firm_summary
                        start_run ──► sync (SyncOrganisation) ──► audit_report           (all done)
                                       │ day limit: deferred until <time>, resumes by itself
                                       │ rate limit / outage: retried with exponential backoff
                                       └ settings, credentials, plan: failed at once, no retry

* **The notebooks** run through :func:`recon.runner.run_notebook` (``recon run``), not the papermill provider:
  it checks the parameters against the notebooks before anything runs, takes recon's own packaged notebooks
  (the workers need no checkout of recon), runs the ``recon`` kernel or else the worker's own interpreter (no
  kernel to register on each worker), keeps the executed notebook and its HTML in the organisation's run folder
  even when a cell fails and names the cell, and writes ``audit.html`` itself. The provider would need all of
  that around it, and tells a day limit from an outage only by parsing its error text.
* **A day limit** ends the sync as *deferred until <time>*: the operator defers itself with a
  ``DateTimeTrigger`` (Airflow's own deferral: the task shows as ``deferred``, frees its worker slot, and the
  triggerer resumes it at that time; ``dag.test()`` runs the trigger in line). It then runs the same run again,
  which starts from what was fetched and repeats nothing already applied. In Airflow 3 an
  ``AirflowRescheduleException`` would also wait without a worker (the state shows as ``up_for_reschedule``,
  meant for sensors), and an ``AirflowSkipException`` would end the organisation's night without resuming it.
* **Retries** (``retries``, doubled delays from ``retry_delay`` up to ``max_retry_delay``) are for what may
  pass: a rate limit recon's pacer could not wait out, a 5xx, a dropped connection, another apply holding the
  state's lock (:data:`recon.firm.RETRYABLE_ERRORS`). Everything else fails at once (``AirflowFailException``).
  A retry runs the same run id, so it resumes the same plan.
* **Limits across workers**: every worker counts its calls in the profiles' ``limits_store`` (a SQLite file
  on one machine, Redis for several; :mod:`recon.connectors.budget`), so the sum over all concurrent
  organisations stays inside Xero's per-organisation and per-app limits and Precoro's per-token ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

from airflow.sdk import DAG, BaseOperator, Param, TriggerRule, task, task_group

from recon import firm
from recon.terminal import clean

try:  # the standard provider comes with Airflow 3
    from airflow.providers.standard.triggers.temporal import DateTimeTrigger
except ImportError:  # pragma: no cover - an Airflow without the standard provider
    DateTimeTrigger = None  # type: ignore[assignment,misc]

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # pragma: no cover - older Airflow 3 releases keep it here
    from airflow.exceptions import AirflowFailException  # type: ignore[no-redef]


def _fail_or_retry(exc: firm.OrganisationError) -> BaseException:
    """What Airflow should do with an organisation's failure: retry it (the error itself) or fail at once."""
    return exc if exc.retryable else AirflowFailException(str(exc))


class SyncOrganisation(BaseOperator):
    """Run ``sync.ipynb`` for one organisation's run under its policy; defer until a day limit's end."""

    template_fields = ("run",)
    ui_color = "#e8f1fb"

    def __init__(self, *, run: Any, timeout: float = 900.0, max_deferrals: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run, self.cell_timeout, self.max_deferrals = run, timeout, max_deferrals

    def execute(self, context: Any, deferrals: int = 0) -> dict[str, str]:
        try:
            result = firm.sync_organisation(self.run, timeout=self.cell_timeout)
        except firm.OrganisationError as exc:
            raise _fail_or_retry(exc) from None
        if result.deferred:
            if DateTimeTrigger is None:
                raise AirflowFailException(f"{result.detail} (install apache-airflow-providers-standard to defer)")
            if deferrals >= self.max_deferrals:  # a sync that needs more than a day's budget would wait forever
                raise AirflowFailException(f"{result.detail}; still over the day limit after {deferrals} deferrals: "
                                           "narrow the kinds, or raise the Xero app's tier")
            self.log.info("%s", result.detail)  # "<profile>: deferred until <time> UTC: ..."
            self.defer(trigger=DateTimeTrigger(moment=result.resume_at), method_name="resume",
                       kwargs={"deferrals": deferrals + 1})
        self.log.info("%s", result.detail)
        return {"profile": result.profile, "run_id": result.run_id, "status": result.status, "detail": result.detail}

    def resume(self, context: Any, event: Any = None, deferrals: int = 1) -> dict[str, str]:
        """Where the triggerer hands the task back after the day limit's end: the same run, again."""
        self.log.info("%s: the day limit has passed; resuming run %s", self.run["profile"], self.run["run_id"])
        return self.execute(context, deferrals=deferrals)


def firm_dag(dag_id: str = "recon_firm", *, schedule: str | None = "0 1 * * *",
             start_date: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc), names: Sequence[str] | None = None,
             retries: int = 4, retry_delay: timedelta = timedelta(minutes=2),
             max_retry_delay: timedelta = timedelta(hours=1), max_active_tasks: int = 8,
             timeout: float = 900.0, **dag_kwargs: Any) -> DAG:
    """The DAG of a firm's night over the profiles of ``RECON_CONFIG`` (or ``names``; a run's
    ``organisations`` parameter narrows it further). ``max_active_tasks`` bounds the notebooks running at once
    (each is a kernel); the shared limits store, not this, keeps the calls inside the services' limits."""
    default_args = {"retries": retries, "retry_delay": retry_delay, "retry_exponential_backoff": 2.0,
                    "max_retry_delay": max_retry_delay}
    with DAG(dag_id, schedule=schedule, start_date=start_date, catchup=False, max_active_runs=1,
             max_active_tasks=max_active_tasks, default_args=default_args, tags=["recon"],
             params={"organisations": Param([], type="array", description="profiles to run (empty: every one)")},
             doc_md=__doc__, **dag_kwargs) as dag:

        @task(retries=0)
        def organisations(params: dict | None = None) -> list[dict[str, str]]:
            chosen = list((params or {}).get("organisations") or names or [])
            try:
                return firm.organisations(chosen or None)
            except firm.OrganisationError as exc:
                raise AirflowFailException(str(exc)) from None

        @task(retries=0)
        def start_run(organisation: dict[str, str]) -> dict[str, str]:
            try:
                return firm.start_run(organisation)
            except firm.OrganisationError as exc:
                raise AirflowFailException(str(exc)) from None

        @task(trigger_rule=TriggerRule.ALL_DONE)
        def audit_report(run: dict[str, str]) -> str:
            try:
                return firm.report_organisation(run, timeout=timeout)
            except firm.OrganisationError as exc:
                raise _fail_or_retry(exc) from None

        started: list[Any] = []  # the start_run task of the group: outside it, its values over every organisation

        @task_group(group_id="organisation")
        def organisation(organisation: dict[str, str]) -> None:
            run = start_run(organisation)
            started.append(run)
            synced = SyncOrganisation(task_id="sync", run=run, timeout=timeout)
            synced >> audit_report(run)

        @task(trigger_rule=TriggerRule.ALL_DONE, retries=1)
        def firm_summary(chosen: list[dict[str, str]], runs: Any) -> dict[str, str]:
            # the start_run values over every organisation (a single one arrives alone, not in a list); a start
            # that failed left none
            started = [runs] if isinstance(runs, dict) else [run for run in (runs or []) if run]
            rows = firm.firm_rows(started, names=[o["profile"] for o in chosen])
            paths = firm.write_summary(rows)
            # Airflow's task log is read in a terminal too; organisation names come from the clients' systems
            print(clean(f"{firm.headline(rows)}; summary: {paths['html']}"))
            return paths

        chosen = organisations()
        groups = organisation.expand(organisation=chosen)
        groups >> firm_summary(chosen, started[0])  # after every organisation's whole group
    return dag
