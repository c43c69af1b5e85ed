"""Notary: RFC 3161 timestamps, the test PKI and signatures (Django-free core)."""
