"""Persistence: typed SQLAlchemy models, the engine and session factory, and queries."""
