"""A small test PKI for the notary tests, built with ``cryptography``.

It issues, under one self-signed root CA:

* an officer's signing certificate (RSA 3072, keyUsage digitalSignature + nonRepudiation),
  optionally carrying the ETSI QcCompliance statement (so that it looks "qualified");
* a time-stamping authority certificate (RSA 3072, critical extendedKeyUsage timeStamping);
* CRLs of the root (empty, or revoking given certificates), so that signatures can be made
  PAdES B-LT, and revocation tested, offline.

Nothing here is meant for production: keys are unprotected and lifetimes are arbitrary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

QC_STATEMENTS_OID = ObjectIdentifier("1.3.6.1.5.5.7.1.3")

# DER of QCStatements ::= SEQUENCE { QCStatement { statementId id-etsi-qcs-QcCompliance } }
# with id-etsi-qcs-QcCompliance = 0.4.0.1862.1.1 (ETSI EN 319 412-5).
QC_COMPLIANCE_ONLY = bytes.fromhex("300a3008060604008e460101")
# The same, followed by id-etsi-qcs-QcSSCD (0.4.0.1862.1.4) and
# id-etsi-qcs-QcType (0.4.0.1862.1.6) = { id-etsi-qct-esign (0.4.0.1862.1.6.1) }.
QC_COMPLIANCE_SSCD_ESIGN = bytes.fromhex(
    "30293008060604008e4601013008060604008e4601043013060604008e4601063009060704008e46010601"
)
# A QCStatements extension without QcCompliance (QcSSCD only).
QC_SSCD_ONLY = bytes.fromhex("300a3008060604008e460104")

ONE_DAY = dt.timedelta(days=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_rsa_key(bits: int = 3072) -> rsa.RSAPrivateKey:
    """A fresh RSA private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(common_name: str, *, email: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sceau Test PKI"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


@dataclass
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_der_pkcs8(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def key_der_traditional(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )

    @property
    def asn1_cert(self) -> asn1_x509.Certificate:
        """The certificate as an asn1crypto object (pyHanko's type)."""
        return asn1_x509.Certificate.load(self.cert_der)

    @property
    def asn1_key(self) -> asn1_keys.PrivateKeyInfo:
        """The key as an asn1crypto PrivateKeyInfo (pyHanko's type)."""
        return asn1_keys.PrivateKeyInfo.load(self.key_der_pkcs8)


@dataclass
class TestPKI:
    """A root CA able to issue officer and TSA certificates and CRLs."""

    root_name: str = "Sceau Test Root CA"
    root_key_bits: int = 3072
    crl_url: str = "http://crl.sceau.test/root.crl"
    """Declared as the CRL distribution point of the leaves (``.test``: never resolvable).

    A declared distribution point makes pyHanko's validators consult the CRLs they are given
    (they ignore CRLs for certificates that declare none); nothing is ever fetched from it.
    """

    __test__ = False  # not a pytest test class

    def _next_serial(self) -> int:
        # Random serials: two test PKIs never issue the same issuer + serial pair, which
        # certificate stores (NSS) would take for the same certificate.
        return x509.random_serial_number()

    @cached_property
    def root(self) -> Issued:
        """The self-signed root CA."""
        key = new_rsa_key(self.root_key_bits)
        name = _name(self.root_name)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(self._next_serial())
            .not_valid_before(_now() - 2 * ONE_DAY)
            .not_valid_after(_now() + 3650 * ONE_DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        return Issued(cert, key)

    def _leaf_builder(
        self,
        subject: x509.Name,
        key: rsa.RSAPrivateKey,
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> x509.CertificateBuilder:
        root = self.root
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root.cert.subject)
            .public_key(key.public_key())
            .serial_number(self._next_serial())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(self.crl_url)],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                critical=False,
            )
        )

    def issue_officer(
        self,
        common_name: str = "Maître Jeanne Dupont",
        *,
        email: str | None = "jeanne.dupont@etude-dupont.test",
        qc_statements: bytes | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        key: rsa.RSAPrivateKey | None = None,
    ) -> Issued:
        """An officer's signing certificate (RSA 3072, digitalSignature + nonRepudiation).

        ``qc_statements`` is the DER of a QCStatements extension value (see the constants of
        this module), added as a non-critical extension when given.
        """
        key = key or new_rsa_key(3072)
        builder = self._leaf_builder(
            _name(common_name, email=email),
            key,
            not_before or _now() - ONE_DAY,
            not_after or _now() + 365 * ONE_DAY,
        ).add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        if email:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
            )
        if qc_statements is not None:
            builder = builder.add_extension(
                x509.UnrecognizedExtension(QC_STATEMENTS_OID, qc_statements), critical=False
            )
        return Issued(builder.sign(self.root.key, hashes.SHA256()), key)

    def issue_tsa(self, common_name: str = "Sceau Test TSA") -> Issued:
        """A time-stamping authority certificate with a critical EKU timeStamping."""
        key = new_rsa_key(3072)
        cert = (
            self._leaf_builder(
                _name(common_name), key, _now() - 2 * ONE_DAY, _now() + 365 * ONE_DAY
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .sign(self.root.key, hashes.SHA256())
        )
        return Issued(cert, key)

    def crl(self, revoked: list[x509.Certificate] | None = None) -> x509.CertificateRevocationList:
        """A CRL of the root, listing ``revoked`` (empty by default)."""
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.cert.subject)
            .last_update(_now() - ONE_DAY)
            .next_update(_now() + 30 * ONE_DAY)
            .add_extension(x509.CRLNumber(self._next_serial()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()),
                critical=False,
            )
        )
        for cert in revoked or []:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(_now() - ONE_DAY)
                .build()
            )
        return builder.sign(self.root.key, hashes.SHA256())


def write_pkcs12(
    path: Path,
    issued: Issued,
    passphrase: bytes,
    *,
    cas: list[x509.Certificate] | None = None,
    friendly_name: bytes = b"officer",
) -> Path:
    """Write ``issued`` (key + certificate, and ``cas``) to a PKCS#12 file."""
    data = pkcs12.serialize_key_and_certificates(
        friendly_name,
        issued.key,
        issued.cert,
        cas,
        serialization.BestAvailableEncryption(passphrase),
    )
    path.write_bytes(data)
    return path
