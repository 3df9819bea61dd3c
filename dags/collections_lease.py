"""DAGs collections_lease, collections_lease_outbox and collections_lease_approvals,
built from policies/lease.yaml.

All logic lives in the package; this file only names the policy.
"""

from pathlib import Path

from debt_collections.airflow.factory import dags_from_policy_file

dag, outbox_dag, approvals_dag = dags_from_policy_file(Path(__file__).parent / "policies" / "lease.yaml")
