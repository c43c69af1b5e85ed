"""Helpers for Sceau's own test suite (never imported by the application)."""
