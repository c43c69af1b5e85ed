"""The built-in TEST authority: RFC 3161 tokens signed by the TEST PKI's TSA (not qualified)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from sceau.notary.errors import PkiError
from sceau.notary.pki import PrivateKey, TestPki, _locked, _write_file
from sceau.notary.timestamps.client import _RfcClient
from sceau.notary.timestamps.model import _HASHES, BUILTIN_LABEL, TEST_POLICY_OID, _TimeStampResp


class BuiltinTimeStamper(_RfcClient):
    """The embedded, never qualified, timestamping authority of the TEST PKI.

    Serial numbers increase monotonically; the last one is kept in ``<pki>/tsa-serial`` (written
    atomically under an ``fcntl`` lock, so several processes can stamp at once).
    """

    def __init__(self, pki: TestPki, *, policy: str = TEST_POLICY_OID) -> None:
        self.pki = pki
        self.qualified = False
        self.label = BUILTIN_LABEL
        self.roots = [pki.root_cert]
        self.untrusted = [pki.tsa_cert]
        self.policy = None
        self.tsa_policy = policy
        self.serial_path = pki.directory / "tsa-serial"
        self._tsa_cert = asn1_x509.Certificate.load(
            pki.tsa_cert.public_bytes(serialization.Encoding.DER)
        )
        self._tsa_key: PrivateKey = pki.tsa_key

    def _exchange(self, query: bytes) -> bytes:
        return self.respond(query)

    def respond(self, query: bytes) -> bytes:
        """Answer a DER TimeStampReq with a DER TimeStampResp, as an RFC 3161 server would.

        Malformed or unsupported requests get a ``rejection`` status with the RFC's failInfo.
        """
        try:
            request = tsp.TimeStampReq.load(query, strict=True)
            version = request["version"].native
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            requested_policy = (
                request["req_policy"].dotted if request["req_policy"].native else None
            )
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
            has_extensions = request["extensions"].native is not None
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "malformed TimeStampReq")
        if version != "v1":
            return _rejection("bad_request", "unsupported version")
        if algorithm not in _HASHES or len(digest) != _HASHES[algorithm].digest_size:
            return _rejection("bad_alg", "unsupported hash algorithm")
        if requested_policy is not None and requested_policy != self.tsa_policy:
            return _rejection("unaccepted_policy", "unknown policy")
        if has_extensions:
            return _rejection("unaccepted_extension", "extensions not supported")

        gen_time = datetime.now(UTC)
        gen_time = gen_time.replace(microsecond=gen_time.microsecond // 1000 * 1000)
        tst_fields: dict[str, object] = {
            "version": "v1",
            "policy": self.tsa_policy,
            "message_imprint": tsp.MessageImprint.load(imprint.dump()),
            "serial_number": self._next_serial(),
            "gen_time": gen_time,
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self._tsa_cert.subject),
        }
        if nonce is not None:
            tst_fields["nonce"] = nonce
        tst_info = tsp.TSTInfo(tst_fields)
        token = self._sign(tst_info.dump(), gen_time, include_cert=cert_req)
        return _TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()

    def certificates_pem(self) -> str:
        """PEM of the TSA certificate, then the TEST root."""
        return super().certificates_pem()

    def _sign(
        self, tst_info_der: bytes, gen_time: datetime, *, include_cert: bool
    ) -> cms.ContentInfo:
        """CMS SignedData over a TSTInfo, with signingCertificateV2 (ESSCertIDv2, SHA-256)."""
        ess = tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "cert_hash": hashlib.sha256(self._tsa_cert.dump()).digest(),
                        "issuer_serial": {
                            "issuer": [
                                asn1_x509.GeneralName(
                                    name="directory_name", value=self._tsa_cert.issuer
                                )
                            ],
                            "serial_number": self._tsa_cert.serial_number,
                        },
                    }
                ]
            }
        )
        attributes = [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute(
                {
                    "type": "signing_time",
                    "values": [cms.Time(name="utc_time", value=gen_time.replace(microsecond=0))],
                }
            ),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(tst_info_der).digest()]}
            ),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ]
        # DER: the elements of a SET OF are sorted by their encoding. Verifiers such as OpenSSL
        # re-encode the attributes before checking the signature, so this order matters.
        attributes.sort(key=lambda attribute: attribute.dump())
        signed_attrs = cms.CMSAttributes(attributes)
        to_sign = signed_attrs.dump()
        key = self._tsa_key
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
            signature_algorithm = "sha256_rsa"
        else:
            signature = key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
            signature_algorithm = "sha256_ecdsa"
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value={
                        "issuer": self._tsa_cert.issuer,
                        "serial_number": self._tsa_cert.serial_number,
                    },
                ),
                "digest_algorithm": sha256,
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": signature_algorithm},
                "signature": signature,
            }
        )
        signed_data: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [sha256],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(tst_info_der),
            },
            "signer_infos": [signer_info],
        }
        if include_cert:
            signed_data["certificates"] = [self._tsa_cert]
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})

    def _next_serial(self) -> int:
        """Allocate the next serial number (persisted, monotonic across processes)."""
        with _locked(self.serial_path.with_name(self.serial_path.name + ".lock")):
            try:
                text = self.serial_path.read_text("ascii").strip()
                last = int(text) if text else 0
            except FileNotFoundError:
                last = 0
            except (OSError, ValueError) as exc:
                raise PkiError(
                    f"Le compteur de l'autorité d'horodatage intégrée ({self.serial_path}) est "
                    "illisible. Restaurez-le depuis la dernière sauvegarde (ou écrivez-y un "
                    "nombre supérieur au dernier numéro de série émis), puis réessayez.",
                    detail=f"{type(exc).__name__}: {exc}",
                ) from exc
            serial = last + 1
            _write_file(self.serial_path, f"{serial}\n".encode("ascii"), 0o600)
        return serial


def _rejection(fail_info: str, text: str) -> bytes:
    return _TimeStampResp(
        {
            "status": {
                "status": "rejection",
                "status_string": [text],
                "fail_info": tsp.PKIFailureInfo({fail_info}),
            }
        }
    ).dump()


# -- an external authority over HTTP ----------------------------------------------------------
