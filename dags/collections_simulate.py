"""DAG collections_simulate: a policy change tried on stored history (SPEC section 10), with the policies beside it.

All logic lives in the package; this file only names the policies' folder.
"""

from pathlib import Path

from debt_collections.airflow.factory import build_simulate_dag

dag = build_simulate_dag(Path(__file__).parent / "policies")
