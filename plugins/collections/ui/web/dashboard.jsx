// Placeholder: the Collections widget on Airflow's dashboard.
export {};
