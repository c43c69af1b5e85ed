"""Check an export of the Sceau journal, or an evidence bundle, without trusting the server.

An export directory holds ``entries.jsonl`` (one entry per line, in index order),
``tree-head.json`` (the signed tree head), optionally ``tree-heads.jsonl`` (earlier signed tree
heads) and ``consistency.json``, and ``public-keys.pem`` (Ed25519 keys). The verifier checks
the signatures, the entries (indices, canonical JSON, times), recomputes the RFC 9162 Merkle
root while streaming (or checks inclusion proofs for a partial export), and reports the first
failure with its line and entry index. Standard library and ``cryptography`` only (no Django:
third parties run it); the server's own ``sceau journal verify`` reuses ``verify_export`` /
``verify_lines``.

* ``heads``: signed tree heads, their keys, consistency proofs;
* ``entries``: one line, and runs of lines (checked in worker processes);
* ``export``: a whole export against its tree heads;
* ``bundle``: an evidence bundle (``sceau-verify --bundle``);
* ``cli``: the ``sceau-verify`` command.
"""

from __future__ import annotations

from .entries import verify_leaf
from .errors import InputError, VerificationError
from .export import VerificationReport, verify_export, verify_lines
from .heads import (
    CONSISTENCY,
    ENTRIES,
    PUBLIC_KEYS,
    TREE_HEAD,
    TREE_HEADS,
    ConsistencyProof,
    TreeHead,
    key_id,
    load_consistency,
    load_public_keys,
    load_tree_head,
    load_tree_heads,
    parse_public_keys,
    parse_time,
    tree_head_message,
    verify_tree_head,
)

__all__ = [
    "CONSISTENCY",
    "ENTRIES",
    "PUBLIC_KEYS",
    "TREE_HEAD",
    "TREE_HEADS",
    "ConsistencyProof",
    "InputError",
    "TreeHead",
    "VerificationError",
    "VerificationReport",
    "key_id",
    "load_consistency",
    "load_public_keys",
    "load_tree_head",
    "load_tree_heads",
    "parse_public_keys",
    "parse_time",
    "tree_head_message",
    "verify_export",
    "verify_leaf",
    "verify_lines",
    "verify_tree_head",
]
