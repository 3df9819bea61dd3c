"""DAG collections_subprime, built from policies/subprime.yaml (all logic lives in the package)."""

from pathlib import Path

from debt_collections.airflow.factory import dag_from_policy_file

dag = dag_from_policy_file(Path(__file__).parent / "policies" / "subprime.yaml")
