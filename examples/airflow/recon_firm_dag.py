"""A bookkeeping firm's nightly recon runs on Airflow 3: every organisation of the firm's recon.toml synced under
its own approval policy, its audit report written into its own run folder, then one firm-wide summary.

Install beside Airflow on the scheduler and every worker: ``pip install 'recon[airflow]'``. The workers'
environment needs ``RECON_CONFIG`` (the firm's recon.toml: a profile per client, see docs/workbench.md) and
the secrets its profiles name (``xero_client_secret_env = "..."``, ``precoro_token_env = "..."``), and must
not set ``RECON_STATE``, ``RECON_REPORTS_DIR``, ``RECON_XERO_TENANT_ID`` or ``RECON_PRECORO_*``: they would
give every organisation one client's values (the first task refuses them). Put ``limits_store`` in the
``[defaults]`` of recon.toml: a SQLite file when every worker runs on one machine (the default,
``<data>/limits.sqlite``, is per user and machine), ``redis://...`` when they run on several.

The tasks, their retries and the deferral on a day limit are described in ``recon/airflow.py``.
"""

from recon.airflow import firm_dag

dag = firm_dag("recon_firm", schedule="0 1 * * *")  # every night at 01:00 (the scheduler's time zone: UTC)

if __name__ == "__main__":
    dag.test()
