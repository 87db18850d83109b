"""Orchestrator integrations (Airflow, Prefect). Each module imports its
orchestrator, so import one only where that orchestrator is installed."""
