"""One organisation's weekday-morning recon run on Airflow 3: the firm's DAG (recon/airflow.py) narrowed to one
profile. Nothing else is needed on the workers than recon installed beside Airflow (``pip install
'recon[airflow]'``) and ``RECON_CONFIG`` naming the recon.toml whose profile says where its state and run
folders are: recon's own notebooks come with the package, so there is no checkout to point at, and the run
folders are the profile's, the same JupyterLab and ``recon run`` see. Credentials come from the workers'
environment or the profile (``KEY_env``, ``secrets_file``), never from the DAG.
"""

from recon.airflow import firm_dag

PROFILE = "production"  # a [profile.NAME] of recon.toml, with its policy = "..." for unattended runs

dag = firm_dag("recon_sync", schedule="15 6 * * 1-5", names=[PROFILE], max_active_tasks=2)

if __name__ == "__main__":
    dag.test()
