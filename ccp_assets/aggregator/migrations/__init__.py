"""Alembic migrations of the aggregator's PostgreSQL schema (postgres_store.py runs them on open)."""
