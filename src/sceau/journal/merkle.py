"""RFC 9162 (Certificate Transparency 2.0) Merkle trees: hashing, proofs and their verification.

Pure functions, no storage and no Django. Proofs are computed as lists of node identifiers
(``NodeId``, a perfect subtree) which the caller fetches from wherever it keeps them, as in
transparency-dev/merkle; the verifiers follow the RFC 9162 algorithms word for word and raise
``ProofError`` with a diagnosis instead of returning a boolean.

Definitions (RFC 9162 section 2.1.1): leaf hash = SHA-256(0x00 || leaf), node hash =
SHA-256(0x01 || left || right), MTH({}) = SHA-256(""), and a tree of n > 1 leaves splits at
the largest power of two smaller than n.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeId",
    "ProofError",
    "append_nodes",
    "consistency_proof_nodes",
    "fold",
    "hash_children",
    "hash_leaf",
    "inclusion_proof_nodes",
    "range_nodes",
    "resolve",
    "root_nodes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def hash_leaf(leaf: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || leaf)."""
    return _sha256(b"\x00" + leaf).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


class NodeId(NamedTuple):
    """The perfect subtree covering leaves [index * 2**level, (index + 1) * 2**level)."""

    level: int
    index: int

    @property
    def begin(self) -> int:
        """First leaf covered."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """One past the last leaf covered."""
        return (self.index + 1) << self.level


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(begin: int, end: int) -> list[NodeId]:
    """The perfect subtrees, left to right, whose ``fold`` is MTH(D[begin:end]).

    Valid for the ranges of the RFC 9162 recursion (and any prefix [0, end)): ``begin`` must be
    a multiple of the smallest power of two >= end - begin, else ``ValueError``.
    """
    if not 0 <= begin <= end:
        raise ValueError(f"invalid leaf range [{begin}, {end})")
    size = end - begin
    if size == 0:
        return []
    top = (size - 1).bit_length()  # 2**top is the smallest power of two >= size
    if begin & ((1 << top) - 1):
        raise ValueError(f"leaf range [{begin}, {end}) is not a subtree of the RFC 9162 shape")
    if size == 1 << top:
        return [NodeId(top, begin >> top)]
    nodes = []
    for level in range(top - 1, -1, -1):
        if size >> level & 1:
            nodes.append(NodeId(level, begin >> level))
            begin += 1 << level
    return nodes


def root_nodes(size: int) -> list[NodeId]:
    """The perfect subtrees whose ``fold`` is the root of a tree of ``size`` leaves."""
    return range_nodes(0, size)


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of a range's perfect subtree hashes into its MTH (EMPTY_ROOT for none)."""
    if not hashes:
        return EMPTY_ROOT
    h = hashes[-1]
    for x in reversed(hashes[:-1]):
        h = _sha256(b"\x01" + x + h).digest()
    return h


def append_nodes(
    index: int, leaf_hash: bytes, get: Callable[[NodeId], bytes]
) -> list[tuple[NodeId, bytes]]:
    """The complete subtrees that appear when leaf ``index`` is appended, bottom-up.

    ``get`` fetches an already stored node (the left siblings); it is called at most
    log2(index + 1) times.
    """
    if index < 0:
        raise ValueError(f"invalid leaf index {index}")
    if len(leaf_hash) != HASH_SIZE:
        raise ValueError(f"leaf hash has {len(leaf_hash)} bytes, expected {HASH_SIZE}")
    h = bytes(leaf_hash)
    level, i = 0, index
    new = [(NodeId(0, index), h)]
    while i & 1:
        h = hash_children(get(NodeId(level, i - 1)), h)
        level += 1
        i >>= 1
        new.append((NodeId(level, i), h))
    return new


def inclusion_proof_nodes(index: int, size: int) -> list[list[NodeId]]:
    """RFC 9162 PATH(index, D[size]), bottom-up; each element is the list of nodes to fold."""
    if not 0 <= index < size:
        raise ValueError(f"no inclusion proof for leaf {index} in a tree of size {size}")
    path = []
    begin, end = 0, size
    while end - begin > 1:
        k = _split(end - begin)
        if index < begin + k:
            path.append(range_nodes(begin + k, end))
            end = begin + k
        else:
            path.append(range_nodes(begin, begin + k))
            begin += k
    path.reverse()
    return path


def consistency_proof_nodes(size1: int, size2: int) -> list[list[NodeId]]:
    """RFC 9162 PROOF(size1, D[size2]) (SUBPROOF), same representation as inclusion proofs.

    The RFC defines it for 0 < size1 < size2; size1 == size2 gives the empty proof.
    """
    if not 0 <= size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        return []
    if size1 == 0:
        raise ValueError("RFC 9162 defines no consistency proof from the empty tree")
    proof = []
    m, begin, end, whole = size1, 0, size2, True
    while m != end - begin:
        k = _split(end - begin)
        if m <= k:
            proof.append(range_nodes(begin + k, end))
            end = begin + k
        else:
            proof.append(range_nodes(begin, begin + k))
            m -= k
            begin += k
            whole = False
    if not whole:
        proof.append(range_nodes(begin, end))
    proof.reverse()
    return proof


def resolve(
    elements: Sequence[Sequence[NodeId]],
    get_many: Callable[[set[NodeId]], dict[NodeId, bytes]],
) -> list[bytes]:
    """Fetch every node of a proof in one call and fold each element into its hash."""
    wanted = {node for element in elements for node in element}
    found = get_many(wanted) if wanted else {}
    missing = wanted.difference(found)
    if missing:
        raise LookupError(f"nodes missing from storage: {sorted(missing)}")
    return [fold([found[node] for node in element]) for element in elements]


class ProofError(Exception):
    """A proof, a root or a size does not verify; ``reason`` says which and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _short(h: bytes) -> str:
    return h.hex()


def _inclusion_proof_size(index: int, size: int) -> int:
    """len(inclusion_proof_nodes(index, size)), without building it."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_size(size1: int, size2: int) -> int:
    """len(consistency_proof_nodes(size1, size2)) for 0 < size1 < size2, without building it."""
    count, whole = 0, True
    while size1 != size2:
        k = _split(size2)
        if size1 <= k:
            size2 = k
        else:
            size1 -= k
            size2 -= k
            whole = False
        count += 1
    return count + (not whole)


def _check_hash(name: str, value: object) -> None:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise ProofError(f"{name} is a {type(value).__name__}, expected {HASH_SIZE} bytes")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} has {len(value)} bytes, expected {HASH_SIZE}")


def _check_proof(proof: Sequence[bytes], expected: int) -> list[bytes]:
    hashes = list(proof)
    for i, p in enumerate(hashes):
        _check_hash(f"proof hash {i}", p)
    if len(hashes) > expected:
        extra = len(hashes) - expected
        raise ProofError(f"proof has {extra} extra hash{'es' if extra > 1 else ''}")
    if len(hashes) < expected:
        short = expected - len(hashes)
        raise ProofError(f"proof lacks {short} hash{'es' if short > 1 else ''}")
    return [bytes(p) for p in hashes]


def _check_size(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProofError(f"{name} {value!r} is not a tree size")
    return value


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2: prove that ``leaf_hash`` is leaf ``index`` of the tree."""
    size = _check_size("tree size", size)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
        raise ProofError(f"leaf index {index!r} is outside a tree of size {size}")
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root hash", root)
    path = _check_proof(proof, _inclusion_proof_size(index, size))
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    for p in path:
        if sn == 0:
            raise ProofError("proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = _sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the path to the root")
    if r != root:
        raise ProofError(f"computed root {_short(r)} != expected {_short(bytes(root))}")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2: prove that the tree of ``size1`` is a prefix of ``size2``.

    Equal sizes need an empty proof and equal roots (for size 0, the empty root). RFC 9162
    defines no proof from an empty tree, so size1 == 0 < size2 is refused.
    """
    size1 = _check_size("first tree size", size1)
    size2 = _check_size("second tree size", size2)
    _check_hash("first root hash", root1)
    _check_hash("second root hash", root2)
    root1, root2 = bytes(root1), bytes(root2)
    if size1 > size2:
        raise ProofError(f"first tree size {size1} is larger than second tree size {size2}")
    if size1 == size2:
        _check_proof(proof, 0)
        if root1 != root2:
            raise ProofError(
                f"trees of equal size {size1} have different roots "
                f"{_short(root1)} != {_short(root2)}"
            )
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise ProofError(f"root of the empty tree is {_short(root1)}, not SHA-256('')")
        return
    if size1 == 0:
        raise ProofError("RFC 9162 defines no consistency proof from the empty tree (size 0)")
    path = _check_proof(proof, _consistency_proof_size(size1, size2))
    if not path:  # unreachable for 0 < size1 < size2, kept as step 1 of the RFC
        raise ProofError("consistency proof is empty")
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof is longer than the path to the second root")
        if fn & 1 or fn == sn:
            fr = _sha256(b"\x01" + c + fr).digest()
            sr = _sha256(b"\x01" + c + sr).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(b"\x01" + sr + c).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the path to the second root")
    if fr != root1:
        raise ProofError(f"computed first root {_short(fr)} != expected {_short(root1)}")
    if sr != root2:
        raise ProofError(f"computed second root {_short(sr)} != expected {_short(root2)}")


class CompactRange:
    """Incremental MTH over a stream of leaf hashes, in O(log n) memory.

    Holds the hashes of ``root_nodes(size)`` (the perfect subtrees of the prefix, largest
    first), like the bits of a binary counter; appending merges equal-sized neighbours.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """Start empty, or resume from the stored hashes of ``root_nodes(size)``."""
        stack = [bytes(h) for h in hashes]
        if size < 0 or len(stack) != size.bit_count():
            raise ValueError(f"a range of {size} leaves has {size.bit_count()} subtree hashes")
        if any(len(h) != HASH_SIZE for h in stack):
            raise ValueError(f"subtree hashes must have {HASH_SIZE} bytes")
        self._size = size
        self._hashes = stack

    @property
    def size(self) -> int:
        """Number of leaves appended."""
        return self._size

    @property
    def hashes(self) -> list[bytes]:
        """Hashes of ``root_nodes(size)``, left to right."""
        return list(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash has {len(leaf_hash)} bytes, expected {HASH_SIZE}")
        n = self._size
        stack = self._hashes
        h = leaf_hash
        while n & 1:
            h = _sha256(b"\x01" + stack.pop() + h).digest()
            n >>= 1
        stack.append(h)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes (same as calling ``append`` on each, with less overhead)."""
        n = self._size
        stack = self._hashes
        pop, push, sha = stack.pop, stack.append, _sha256
        for h in leaf_hashes:
            if len(h) != HASH_SIZE:
                self._size = n
                raise ValueError(f"leaf hash has {len(h)} bytes, expected {HASH_SIZE}")
            c = n
            while c & 1:
                h = sha(b"\x01" + pop() + h).digest()
                c >>= 1
            push(h)
            n += 1
        self._size = n

    def root(self) -> bytes:
        """MTH of the leaves appended so far (EMPTY_ROOT when none)."""
        return fold(self._hashes)
