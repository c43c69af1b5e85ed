"""Shared building blocks of Sceau: dates, errors, request context."""
