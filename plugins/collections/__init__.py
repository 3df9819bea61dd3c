"""Collections for auto-finance lenders on Apache Airflow.

Importable as ``debt_collections`` (never ``collections``, the standard library's).
"""

__version__ = "0.1.0"
