"""Each signed tree head published as a C2SP checkpoint (a signed note), and its verifier key.

The note is signed with the Ed25519 key that signed the JSON tree head; Ed25519 signatures are
deterministic, so the checkpoint of a stored head is the same text every time it is served.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from sceau.journal import note, signing
from sceau.journal.models import Cosignature, TreeHead


def origin() -> str:
    """The log's origin line: the public address without scheme, then ``/journal``."""
    parts = urlsplit(settings.CONFIG.public_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/journal"


def _key_of(head: TreeHead) -> Ed25519PrivateKey:
    for key_id, private in signing.private_keys().items():
        if key_id == head.key_id:
            return private
    raise LookupError(f"the key {head.key_id} that signed tree head {head.tree_size} is gone")


def checkpoint_text(head: TreeHead) -> str:
    """The signed note of ``head``."""
    body = note.Checkpoint(origin(), head.tree_size, bytes.fromhex(head.root_hash)).body()
    return note.sign_note(body, origin(), _key_of(head))


def cosigned_checkpoint_text(head: TreeHead) -> str:
    """The checkpoint of ``head`` followed by the cosignature lines its witnesses returned."""
    lines = Cosignature.objects.filter(tree_size=head.tree_size).values_list("line", flat=True)
    return checkpoint_text(head) + "".join(lines)


def verifier_keys() -> list[str]:
    """The verifier key of every signing key, current first."""
    name = origin()
    current_id, current = signing.current()
    keys = [note.verifier_key(name, current.public_key())]
    keys += [
        note.verifier_key(name, private.public_key())
        for key_id, private in signing.private_keys().items()
        if key_id != current_id
    ]
    return keys
