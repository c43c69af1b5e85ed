"""sceau.journal.merkle against a naive RFC 9162 implementation and the CT test vectors."""

from __future__ import annotations

import hashlib
import itertools
from functools import cache

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sceau.journal.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    NodeId,
    ProofError,
    append_nodes,
    consistency_proof_nodes,
    fold,
    hash_children,
    hash_leaf,
    inclusion_proof_nodes,
    range_nodes,
    resolve,
    root_nodes,
    verify_consistency,
    verify_inclusion,
)

# --- the RFC 9162 section 2.1 definitions, transcribed literally over tuples of leaf hashes ----


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(d: tuple[bytes, ...]) -> bytes:
    n = len(d)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return d[0]  # the leaf hash SHA-256(0x00 || d(0)), already computed
    k = split(n)
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def proof(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    return subproof(m, d, True)


def subproof(m: int, d: tuple[bytes, ...], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = split(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


MAX = 1100  # leaves for the hypothesis tests
EXHAUSTIVE = 160  # every size, index and pair of sizes up to this is tested
LEAVES = tuple(hash_leaf(f"leaf {i}".encode()) for i in range(MAX))


def build_store(leaves: tuple[bytes, ...]) -> dict[NodeId, bytes]:
    store: dict[NodeId, bytes] = {}
    for i, h in enumerate(leaves):
        store.update(append_nodes(i, h, store.__getitem__))
    return store


STORE = build_store(LEAVES)


def get_many(ids: set[NodeId]) -> dict[NodeId, bytes]:
    return {i: STORE[i] for i in ids if i in STORE}


def root(size: int) -> bytes:
    return mth(LEAVES[:size])


def flip(h: bytes, bit: int) -> bytes:
    return bytes(b ^ (1 << (bit % 8)) if i == bit // 8 else b for i, b in enumerate(h))


# --- the reference vectors (RFC 6962 / certificate-transparency / transparency-dev) ----------

CT_DATA = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_LEAVES = [hash_leaf(d) for d in CT_DATA]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def test_reference_roots():
    assert EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert hash_children(CT_LEAVES[0], CT_LEAVES[1]).hex() == CT_ROOTS[2]
    store = {}
    compact = CompactRange()
    for size in range(len(CT_LEAVES) + 1):
        assert fold([store[n] for n in root_nodes(size)]).hex() == CT_ROOTS[size]
        assert compact.root().hex() == CT_ROOTS[size]
        assert mth(tuple(CT_LEAVES[:size])).hex() == CT_ROOTS[size]
        if size < len(CT_LEAVES):
            store.update(append_nodes(size, CT_LEAVES[size], store.__getitem__))
            compact.append(CT_LEAVES[size])


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION)
def test_reference_inclusion_proofs(index, size, expected):
    store = build_store(tuple(CT_LEAVES))
    hashes = resolve(inclusion_proof_nodes(index, size), lambda ids: {i: store[i] for i in ids})
    assert [h.hex() for h in hashes] == expected
    verify_inclusion(CT_LEAVES[index], index, size, hashes, bytes.fromhex(CT_ROOTS[size]))


@pytest.mark.parametrize(("size1", "size2", "expected"), CT_CONSISTENCY)
def test_reference_consistency_proofs(size1, size2, expected):
    store = build_store(tuple(CT_LEAVES))
    hashes = resolve(consistency_proof_nodes(size1, size2), lambda ids: {i: store[i] for i in ids})
    assert [h.hex() for h in hashes] == expected
    verify_consistency(
        size1, size2, bytes.fromhex(CT_ROOTS[size1]), bytes.fromhex(CT_ROOTS[size2]), hashes
    )


# --- every small tree, every index: equal to the naive RFC, and verifying ---------------------


def test_every_small_tree_against_the_naive_rfc():
    store: dict[NodeId, bytes] = {}
    compact = CompactRange()
    for size in range(EXHAUSTIVE + 1):
        d = LEAVES[:size]
        expected_root = mth(d)
        # Storage holds exactly the complete subtrees, and they fold into the naive MTH.
        assert set(store) == {
            NodeId(level, i) for level in range(size.bit_length()) for i in range(size >> level)
        }
        assert fold([store[n] for n in root_nodes(size)]) == expected_root
        assert compact.root() == expected_root
        assert compact.size == size
        assert compact.hashes == [store[n] for n in root_nodes(size)]

        def get_many(ids, store=store):
            return {i: store[i] for i in ids}

        for index in range(size):
            hashes = resolve(inclusion_proof_nodes(index, size), get_many)
            assert hashes == path(index, d), (index, size)
            verify_inclusion(LEAVES[index], index, size, hashes, expected_root)
        for size1 in range(1, size + 1):
            hashes = resolve(consistency_proof_nodes(size1, size), get_many)
            assert hashes == (proof(size1, d) if size1 < size else []), (size1, size)
            verify_consistency(size1, size, mth(LEAVES[:size1]), expected_root, hashes)
        if size < EXHAUSTIVE:
            gets = []

            def get(node, store=store, gets=gets):
                gets.append(node)
                return store[node]

            new = append_nodes(size, LEAVES[size], get)
            assert len(gets) == len(new) - 1 <= (size + 1).bit_length()
            store.update(new)
            compact.append(LEAVES[size])


@given(st.integers(0, 1 << 70), st.integers(0, 1 << 70))
def test_range_nodes_is_the_binary_decomposition(begin_units, size):
    # Align begin as the RFC recursion does: a multiple of the smallest power of 2 >= size.
    step = 1 << max(size - 1, 0).bit_length()
    begin = begin_units // step * step
    nodes = range_nodes(begin, begin + size)
    assert [n.end - n.begin for n in nodes] == sorted(
        (1 << b for b in range(size.bit_length()) if size >> b & 1), reverse=True
    )
    assert all(a.end == b.begin for a, b in itertools.pairwise(nodes))
    if nodes:
        assert (nodes[0].begin, nodes[-1].end) == (begin, begin + size)


def test_argument_errors():
    with pytest.raises(ValueError):
        range_nodes(1, 3)  # [1, 3) is no subtree of the RFC shape
    with pytest.raises(ValueError):
        range_nodes(5, 4)
    for index, size in ((0, 0), (3, 3), (-1, 3)):
        with pytest.raises(ValueError):
            inclusion_proof_nodes(index, size)
    for size1, size2 in ((0, 5), (6, 5), (-1, 0)):
        with pytest.raises(ValueError):
            consistency_proof_nodes(size1, size2)
    assert consistency_proof_nodes(0, 0) == consistency_proof_nodes(5, 5) == []
    with pytest.raises(LookupError, match="missing"):
        resolve([[NodeId(0, 0)]], lambda ids: {})
    with pytest.raises(ValueError):
        append_nodes(0, b"short", STORE.__getitem__)
    with pytest.raises(ValueError):
        CompactRange().append(b"short")
    with pytest.raises(ValueError):
        CompactRange(3, [LEAVES[0]])  # 3 leaves are two perfect subtrees


def test_compact_range_resumes_from_stored_subtrees_and_extends():
    compact = CompactRange(13, [STORE[n] for n in root_nodes(13)])
    compact.extend(LEAVES[13:200])
    assert compact.root() == root(200)
    other = CompactRange()
    for h in LEAVES[:200]:
        other.append(h)
    assert other.hashes == compact.hashes == [STORE[n] for n in root_nodes(200)]
    assert fold([]) == EMPTY_ROOT == CompactRange().root()


# --- tampering: every altered proof fails with a reason --------------------------------------

sizes = st.integers(1, MAX)


@st.composite
def leaf_in_tree(draw):
    size = draw(sizes)
    return draw(st.integers(0, size - 1)), size


def inclusion(index: int, size: int) -> list[bytes]:
    return resolve(inclusion_proof_nodes(index, size), get_many)


def consistency(size1: int, size2: int) -> list[bytes]:
    return resolve(consistency_proof_nodes(size1, size2), get_many)


@given(leaf_in_tree(), st.data())
def test_inclusion_tampering_is_caught(case, data):
    index, size = case
    hashes = inclusion(index, size)
    leaf, good_root = LEAVES[index], root(size)
    assert hashes == path(index, LEAVES[:size])
    assert fold([STORE[n] for n in root_nodes(size)]) == good_root
    verify_inclusion(leaf, index, size, hashes, good_root)

    if hashes:
        at = data.draw(st.integers(0, len(hashes) - 1), label="flipped hash")
        bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1), label="bit")
        bad = [*hashes]
        bad[at] = flip(bad[at], bit)
        with pytest.raises(ProofError, match="computed root"):
            verify_inclusion(leaf, index, size, bad, good_root)
        removed = data.draw(st.integers(0, len(hashes) - 1), label="removed hash")
        with pytest.raises(ProofError, match="lacks 1 hash"):
            verify_inclusion(leaf, index, size, hashes[:removed] + hashes[removed + 1 :], good_root)
    with pytest.raises(ProofError, match="proof has 1 extra hash"):
        verify_inclusion(leaf, index, size, [*hashes, good_root], good_root)
    with pytest.raises(ProofError, match="computed root"):
        verify_inclusion(LEAVES[(index + 1) % MAX], index, size, hashes, good_root)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, hashes, flip(good_root, 0))

    other = data.draw(st.integers(0, size + 5).filter(lambda j: j != index), label="wrong index")
    with pytest.raises(ProofError):
        verify_inclusion(leaf, other, size, hashes, good_root)

    wrong_size = data.draw(st.integers(index + 1, MAX).filter(lambda n: n != size), label="size")
    # The same path can be valid for two sizes (the shape of the tree above the leaf agrees).
    assume(path(index, LEAVES[:wrong_size]) != hashes)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, wrong_size, hashes, root(wrong_size))


@st.composite
def two_sizes(draw):
    size2 = draw(st.integers(2, MAX))
    return draw(st.integers(1, size2 - 1)), size2


@given(two_sizes(), st.data())
def test_consistency_tampering_is_caught(case, data):
    size1, size2 = case
    hashes = consistency(size1, size2)
    root1, root2 = root(size1), root(size2)
    assert hashes == proof(size1, LEAVES[:size2])
    verify_consistency(size1, size2, root1, root2, hashes)

    at = data.draw(st.integers(0, len(hashes) - 1), label="flipped hash")
    bad = [*hashes]
    bad[at] = flip(bad[at], data.draw(st.integers(0, 8 * HASH_SIZE - 1), label="bit"))
    with pytest.raises(ProofError, match="computed"):
        verify_consistency(size1, size2, root1, root2, bad)
    removed = data.draw(st.integers(0, len(hashes) - 1), label="removed hash")
    with pytest.raises(ProofError, match="lacks 1 hash"):
        verify_consistency(size1, size2, root1, root2, hashes[:removed] + hashes[removed + 1 :])
    with pytest.raises(ProofError, match="proof has 2 extra hashes"):
        verify_consistency(size1, size2, root1, root2, [*hashes, root1, root2])
    # (When size1 is a power of two, root1 seeds the path and the second root fails.)
    with pytest.raises(ProofError, match=r"computed (first|second) root"):
        verify_consistency(size1, size2, flip(root1, 3), root2, hashes)
    with pytest.raises(ProofError, match="computed second root"):
        verify_consistency(size1, size2, root1, flip(root2, 3), hashes)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root2, root1, hashes)
    # A history rewritten anywhere in the first tree cannot be proven consistent.
    rewritten = data.draw(st.integers(0, size1 - 1), label="rewritten leaf")
    d = list(LEAVES[:size2])
    d[rewritten] = hash_leaf(b"rewritten")
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root1, mth(tuple(d)), proof(size1, tuple(d)))

    other1 = data.draw(st.integers(1, size2 - 1).filter(lambda m: m != size1), label="size1")
    assume(proof(other1, LEAVES[:size2]) != hashes)
    with pytest.raises(ProofError):
        verify_consistency(other1, size2, root(other1), root2, hashes)
    other2 = data.draw(st.integers(size1 + 1, MAX).filter(lambda n: n != size2), label="size2")
    assume(proof(size1, LEAVES[:other2]) != hashes)
    with pytest.raises(ProofError):
        verify_consistency(size1, other2, root1, root(other2), hashes)


def test_degenerate_consistency_cases():
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(7, 7, root(7), root(7), [])
    with pytest.raises(ProofError, match="different roots"):
        verify_consistency(7, 7, root(7), root(8), [])
    with pytest.raises(ProofError, match="proof has 1 extra hash"):
        verify_consistency(7, 7, root(7), root(7), [root(7)])
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 0, root(1), root(1), [])
    with pytest.raises(ProofError, match="RFC 9162 defines no consistency proof"):
        verify_consistency(0, 8, EMPTY_ROOT, root(8), [])
    with pytest.raises(ProofError, match="larger than"):
        verify_consistency(8, 7, root(8), root(7), consistency(7, 8))
    with pytest.raises(ProofError, match="lacks 1 hash"):
        verify_consistency(1, 2, root(1), root(2), [])


def test_malformed_inputs_are_proof_errors():
    hashes = inclusion(5, 8)
    with pytest.raises(ProofError, match="outside a tree of size 8"):
        verify_inclusion(LEAVES[5], 8, 8, hashes, root(8))
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(LEAVES[5], -1, 8, hashes, root(8))
    with pytest.raises(ProofError, match="not a tree size"):
        verify_inclusion(LEAVES[5], 5, -8, hashes, root(8))
    with pytest.raises(ProofError, match="leaf hash has 31 bytes"):
        verify_inclusion(LEAVES[5][:31], 5, 8, hashes, root(8))
    with pytest.raises(ProofError, match="root hash has 0 bytes"):
        verify_inclusion(LEAVES[5], 5, 8, hashes, b"")
    with pytest.raises(ProofError, match="proof hash 1 has 33 bytes"):
        verify_inclusion(LEAVES[5], 5, 8, [hashes[0], hashes[1] + b"x", hashes[2]], root(8))
    with pytest.raises(ProofError, match="proof hash 0 is a str"):
        verify_inclusion(LEAVES[5], 5, 8, [h.hex() for h in hashes], root(8))
    error = pytest.raises(ProofError, match=r"computed root [0-9a-f]{64} != expected [0-9a-f]{64}")
    with error as caught:
        verify_inclusion(LEAVES[4], 5, 8, hashes, root(8))
    assert caught.value.reason == str(caught.value)
