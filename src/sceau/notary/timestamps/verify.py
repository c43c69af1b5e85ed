"""Verification of RFC 3161 tokens and answers (status, imprint, nonce, CMS signature, chain)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from asn1crypto.parser import parse as asn1_parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)
from pyhanko.sign.general import check_ess_certid
from pyhanko.sign.validation.generic_cms import get_signing_cert_attr, validate_sig_integrity

from sceau.notary.errors import TimestampRefused
from sceau.notary.timestamps.model import _HASHES, Timestamp


def verify_token(
    token: bytes,
    data: bytes,
    roots: list[x509.Certificate],
    *,
    nonce: int | None = None,
    qualified: bool = False,
    untrusted: Sequence[x509.Certificate] = (),
) -> Timestamp:
    """Verify a stored TimeStampToken (DER ``ContentInfo``) over ``data``, offline.

    Same checks as :meth:`TimeStamper.stamp`: imprint of ``data`` (SHA-256, -384 or -512, as
    the token says), ``nonce`` when given, CMS signature, signing-certificate attribute,
    critical timeStamping EKU, chain to ``roots`` at genTime. ``untrusted`` may add the TSA
    certificate or intermediates when the token does not embed them (like ``-untrusted``).
    ``qualified`` is copied into the result. Raises :class:`TimestampRefused`.
    """
    with _malformed_is_refused():
        content_info = _load_token(token)
        algorithm = _imprint_algorithm(_tst_info(content_info))
    digest = _hash(algorithm, data)
    return _verify(
        token,
        content_info,
        hash_algorithm=algorithm,
        imprint=digest,
        roots=roots,
        nonce=nonce,
        untrusted=untrusted,
        qualified=qualified,
        policy=None,
    )


def _verify(token: bytes, content_info: cms.ContentInfo, **checks: Any) -> Timestamp:
    """Check everything about ``token`` (parsed: ``content_info``; ``checks``: the keyword
    arguments of :func:`_verify_unguarded`); return it or raise."""
    with _malformed_is_refused():
        return _verify_unguarded(token, content_info, **checks)


@contextlib.contextmanager
def _malformed_is_refused() -> Iterator[None]:
    """Turn parser errors into :class:`TimestampRefused`.

    asn1crypto parses lazily, so a damaged token can fail deep inside any later access.
    """
    try:
        yield
    except TimestampRefused:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, NotImplementedError) as exc:
        raise _refused(f"malformed token: {type(exc).__name__}: {exc}") from exc


def _verify_unguarded(
    token: bytes,
    content_info: cms.ContentInfo,
    *,
    hash_algorithm: str,
    imprint: bytes,
    roots: Sequence[x509.Certificate],
    nonce: int | None,
    untrusted: Sequence[x509.Certificate],
    qualified: bool,
    policy: str | None,
) -> Timestamp:
    """The checks of :func:`_verify`, in order: what, who, trusted (parser errors escape)."""
    if not roots:
        raise _refused("no trust anchor configured")
    tst_info = _tst_info(content_info)
    signed_data: cms.SignedData = content_info["content"]

    # 1. What was stamped.
    token_algorithm = _imprint_algorithm(tst_info)
    token_imprint = tst_info["message_imprint"]["hashed_message"].native
    if token_algorithm != hash_algorithm or not hmac.compare_digest(token_imprint, imprint):
        raise _refused(
            f"message imprint mismatch (token {token_algorithm}:{token_imprint.hex()}, "
            f"expected {hash_algorithm}:{imprint.hex()})",
            message=(
                "Le jeton d'horodatage ne porte pas sur ce document (empreinte différente). "
                "Vérifiez que le jeton et le document vont ensemble ; sinon, demandez un "
                "nouvel horodatage."
            ),
        )
    token_nonce = tst_info["nonce"].native
    if nonce is not None and token_nonce != nonce:
        raise _refused(f"nonce mismatch (token {token_nonce!r}, expected {nonce})")
    token_policy = tst_info["policy"].dotted
    if policy is not None and token_policy != policy:
        raise _refused(f"policy mismatch (token {token_policy}, requested {policy})")
    gen_time = tst_info["gen_time"].native
    if not isinstance(gen_time, datetime):
        raise _refused("genTime is missing or malformed")
    gen_time = gen_time.astimezone(UTC)

    # 2. Who signed it, and is the signature sound.
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise _refused(f"expected exactly one SignerInfo, found {len(signer_infos)}")
    signer_info: cms.SignerInfo = signer_infos[0]
    embedded = _embedded_certs(signed_data)
    extra = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in untrusted
    ]
    signer = _find_signer(signer_info, embedded + extra)
    if signer is None:
        raise _refused("signer certificate not found in the token nor in the untrusted list")
    if isinstance(signer_info["signed_attrs"], core.Void):
        raise _refused("SignerInfo has no signed attributes")
    ess = get_signing_cert_attr(signer_info["signed_attrs"])
    if ess is None or not check_ess_certid(signer, ess["certs"][0]):
        raise _refused("signing-certificate(-v2) attribute missing or not matching the signer")
    digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    listed = {algorithm["algorithm"].native for algorithm in signed_data["digest_algorithms"]}
    if digest_algorithm not in listed:
        raise _refused(f"digest algorithm {digest_algorithm} not listed in digestAlgorithms")
    econtent = bytes(signed_data["encap_content_info"]["content"])
    try:
        intact, valid = validate_sig_integrity(
            signer_info, signer, "tst_info", _hash(digest_algorithm, econtent, strict=False)
        )
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        # pyHanko's SignatureValidationError is a ValueError; unknown algorithms raise the others.
        raise _refused(f"signature check failed: {type(exc).__name__}: {exc}") from exc
    if not (intact and valid):
        raise _refused(f"CMS signature invalid (digest matches: {intact}, signature: {valid})")

    # 3. Is the signer a timestamping authority we trust, at genTime.
    signer_cert = x509.load_der_x509_certificate(signer.dump())
    intermediates = [
        x509.load_der_x509_certificate(c.dump()) for c in embedded + extra if c != signer
    ]
    _check_chain(signer_cert, intermediates, list(roots), gen_time)

    return Timestamp(
        token=token,
        gen_time=gen_time,
        serial=int(tst_info["serial_number"].native),
        tsa_name=_common_name(signer_cert),
        policy=token_policy,
        qualified=qualified,
        message_imprint=token_imprint,
    )


def _check_chain(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    roots: list[x509.Certificate],
    at: datetime,
) -> list[x509.Certificate]:
    """Path validation at ``at``; the leaf must be a TSA certificate as RFC 3161 § 2.3 says."""

    def eku_is_timestamping(_policy: object, _cert: object, eku: x509.ExtendedKeyUsage) -> None:
        if list(eku) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            raise ValueError("extendedKeyUsage must be timeStamping only")

    def ku_signs(_policy: object, _cert: object, ku: x509.KeyUsage | None) -> None:
        if ku is not None and not (ku.digital_signature or ku.content_commitment):
            raise ValueError("keyUsage allows neither digitalSignature nor nonRepudiation")

    def ku_signs_certs(_policy: object, _cert: object, ku: x509.KeyUsage | None) -> None:
        if ku is not None and not ku.key_cert_sign:
            raise ValueError("CA keyUsage lacks keyCertSign")

    ee_policy = (
        ExtensionPolicy.permit_all()
        .require_present(x509.ExtendedKeyUsage, Criticality.CRITICAL, eku_is_timestamping)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, ku_signs)
    )
    ca_policy = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, None)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, ku_signs_certs)
    )
    try:
        verifier = (
            PolicyBuilder()
            .store(Store(roots))
            .time(at)
            .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
            .build_client_verifier()
        )
        return verifier.verify(leaf, intermediates).chain
    except (VerificationError, ValueError) as exc:
        raise _refused(
            f"TSA certificate {leaf.subject.rfc4514_string()} rejected: {exc}",
            message=(
                "Le jeton d'horodatage n'a pas été émis par une autorité reconnue (chaîne de "
                "certificats non valide ou certificat non destiné à l'horodatage). Vérifiez les "
                "certificats racines configurés pour l'autorité d'horodatage."
            ),
        ) from exc


def _load_token(token: bytes) -> cms.ContentInfo:
    try:
        _check_tlv_structure(token)
        content_info = cms.ContentInfo.load(token, strict=True)
        if content_info["content_type"].native != "signed_data":
            raise ValueError(f"content type {content_info['content_type'].native}")
        _tst_info(content_info)
    except TimestampRefused:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise _refused(f"token is not a DER TimeStampToken: {exc}") from exc
    return content_info


def _check_tlv_structure(data: bytes) -> None:
    """Walk every nested TLV of ``data``; raise ``ValueError`` on damaged lengths or tags.

    asn1crypto parses lazily (and ``.native`` is slow once pyHanko is imported), so a damaged
    part that nothing reads would otherwise go unnoticed; OpenSSL refuses such tokens.
    """
    pending = [data]
    while pending:
        chunk = pending.pop()
        offset = 0
        while offset < len(chunk):
            _class, method, _tag, header, contents, trailer = asn1_parse(chunk[offset:])
            offset += len(header) + len(contents) + len(trailer)
            if method == 1:  # constructed: its contents are TLVs too
                pending.append(contents)


def _tst_info(content_info: cms.ContentInfo) -> tsp.TSTInfo:
    encap = content_info["content"]["encap_content_info"]
    if encap["content_type"].native != "tst_info" or isinstance(encap["content"], core.Void):
        raise _refused("SignedData does not encapsulate a TSTInfo")
    parsed = encap["content"].parsed
    if not isinstance(parsed, tsp.TSTInfo):
        raise _refused("SignedData does not encapsulate a TSTInfo")
    return parsed


def _imprint_algorithm(tst_info: tsp.TSTInfo) -> str:
    algorithm = tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native
    if algorithm not in _HASHES:
        raise _refused(f"unsupported imprint algorithm {algorithm}")
    return algorithm


def _hash(algorithm: str, data: bytes, *, strict: bool = True) -> bytes:
    if algorithm in _HASHES:
        digest = hashes.Hash(_HASHES[algorithm]())
    elif not strict and algorithm in hashlib.algorithms_available:
        return hashlib.new(algorithm, data).digest()
    else:
        raise _refused(f"unsupported hash algorithm {algorithm}")
    digest.update(data)
    return digest.finalize()


def _embedded_certs(signed_data: cms.SignedData) -> list[asn1_x509.Certificate]:
    certs = signed_data["certificates"]
    if isinstance(certs, core.Void):
        return []
    return [choice.chosen for choice in certs if choice.name == "certificate"]


def _find_signer(
    signer_info: cms.SignerInfo, candidates: list[asn1_x509.Certificate]
) -> asn1_x509.Certificate | None:
    sid = signer_info["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                cert.issuer == wanted["issuer"]
                and cert.serial_number == wanted["serial_number"].native
            ):
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return None


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        value = names[0].value
        return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return cert.subject.rfc4514_string()


def _refused(detail: str, *, message: str | None = None) -> TimestampRefused:
    return TimestampRefused(message, detail=detail)


# -- requests and responses -------------------------------------------------------------------


def _build_request(
    digest: bytes, hash_algorithm: str, nonce: int, policy: str | None
) -> tsp.TimeStampReq:
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": {"algorithm": hash_algorithm},
            "hashed_message": digest,
        },
        "nonce": nonce,
        "cert_req": True,
    }
    if policy is not None:
        fields["req_policy"] = policy
    return tsp.TimeStampReq(fields)


def _new_nonce() -> int:
    """A random 64-bit nonce (top bit forced to 1 for a fixed width: 63 random bits)."""
    return secrets.randbits(64) | (1 << 63)
