"""The journal as a transparency log: tree heads and proofs (public), entries (restricted)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from sceau.api.schemas import ErrorOut
from sceau.core.errors import NotFound
from sceau.identity.auth import StaffBearer
from sceau.identity.models import User
from sceau.journal import checkpoint as journal_checkpoint
from sceau.journal import signing, transparency
from sceau.journal.models import JournalEntry, TreeHead

router = Router(tags=["Journal"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}


class TreeHeadOut(Schema):
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]


class ConsistencyOut(Schema):
    first: int
    second: int
    hashes: list[str]


class PublicKeyOut(Schema):
    key_id: str
    pem: str


class EntryOut(Schema):
    index: int
    leaf: str | None
    leaf_hash: str
    pruned: bool


@router.get("/tree-head", response={200: TreeHeadOut, **ERRORS})
def tree_head(request: HttpRequest, tree_size: int | None = None):
    """The latest signed tree head, or the stored one of `tree_size`. Reveals only hashes."""
    return _head(tree_size).as_json()


def _head(tree_size: int | None) -> TreeHead:
    if tree_size is None:
        return transparency.latest_tree_head() or transparency.make_tree_head()
    head = TreeHead.objects.filter(tree_size=tree_size).first()
    if head is None:
        raise NotFound(f"Aucun tree head signé de taille {tree_size}.")
    return head


@router.get("/public-keys", response=list[PublicKeyOut])
def public_keys(request: HttpRequest):
    """Every key that ever signed tree heads (current and retired), with its id."""
    from cryptography.hazmat.primitives import serialization

    return [
        {
            "key_id": key_id,
            "pem": key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode(),
        }
        for key_id, key in signing.public_keys().items()
    ]


@router.get("/public-keys.pem")
def public_keys_pem(request: HttpRequest):
    return HttpResponse(signing.public_keys_pem(), content_type="application/x-pem-file")


@router.get("/checkpoint", response={200: str, **ERRORS})
def checkpoint(request: HttpRequest, tree_size: int | None = None):
    """The latest signed tree head (or the stored one of `tree_size`) as a C2SP checkpoint:
    a signed note (origin, size, base64 root) that Go's sumdb/note verifies, followed by the
    cosignatures of the witnesses that have cosigned it (c2sp.org/tlog-cosignature)."""
    head = _head(tree_size)
    return HttpResponse(
        journal_checkpoint.cosigned_checkpoint_text(head),
        content_type="text/plain; charset=utf-8",
    )


@router.get("/checkpoint.vkey", response={200: str})
def checkpoint_vkey(request: HttpRequest):
    """The verifier key of the checkpoints (note format `name+hash+base64key`), one a line,
    the current key first and retired keys after it."""
    return HttpResponse(
        "".join(key + "\n" for key in journal_checkpoint.verifier_keys()),
        content_type="text/plain; charset=utf-8",
    )


@router.get("/proofs/inclusion", response={200: InclusionOut, **ERRORS})
def inclusion(request: HttpRequest, index: int, tree_size: int):
    """RFC 9162 inclusion proof of entry `index` in the tree of `tree_size` entries."""
    hashes = transparency.inclusion_proof(index, tree_size)
    entry = JournalEntry.objects.get(index=index)
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": entry.leaf_hash,
        "hashes": [h.hex() for h in hashes],
    }


@router.get("/proofs/consistency", response={200: ConsistencyOut, **ERRORS})
def consistency(request: HttpRequest, first: int, second: int):
    """RFC 9162 consistency proof between trees of `first` and `second` entries."""
    hashes = transparency.consistency_proof(first, second)
    return {"first": first, "second": second, "hashes": [h.hex() for h in hashes]}


@router.get("/entries", auth=StaffBearer(), response={200: list[EntryOut], **ERRORS})
def entries(request: HttpRequest, start: int = 0, end: int | None = None):
    """Entries [start, end) (at most 1000): an officer gets those of their office, an auditor all.

    An entry outside the caller's scope is left out; a pruned entry is its hash alone.
    """
    end = start + transparency.PAGE if end is None else min(end, start + transparency.PAGE)
    qs = JournalEntry.objects.filter(index__gte=max(start, 0), index__lt=end).order_by("index")
    user: User = request.auth
    if user.role != User.AUDITOR:
        qs = qs.filter(office_id=user.office_id)
    return [
        {
            "index": e.index,
            "leaf": e.leaf or None,
            "leaf_hash": e.leaf_hash,
            "pruned": e.pruned_at is not None,
        }
        for e in qs
    ]
