"""Errors of the journal verifier: a failure to verify, or an input that cannot be used."""

from __future__ import annotations


class VerificationError(Exception):
    """The export does not verify; ``index`` and ``line`` locate the first failure if known."""

    def __init__(self, message: str, index: int | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index
        self.line = line


class InputError(VerificationError):
    """The input cannot be used at all (missing file, bad JSON, malformed tree head)."""
