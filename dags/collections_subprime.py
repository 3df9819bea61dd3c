"""DAGs collections_subprime, collections_subprime_outbox and collections_subprime_approvals,
built from policies/subprime.yaml.

All logic lives in the package; this file only names the policy.
"""

from pathlib import Path

from debt_collections.airflow.factory import dags_from_policy_file

dag, outbox_dag, approvals_dag = dags_from_policy_file(Path(__file__).parent / "policies" / "subprime.yaml")
