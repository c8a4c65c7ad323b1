"""Bridgeway: the Starlette application (settings, database, pages, auth, CLI)."""
