"""Who signs: a key in a PKCS#12 file or on a card or HSM reached through PKCS#11."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID, ObjectIdentifier

from sceau.notary.errors import SignatureError, SignerCertificateError, SignerCredentialError
from sceau.notary.qc import has_qc_compliance

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer as CmsSigner


def _attribute(name: x509.Name, oid: ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _display_name(cert: x509.Certificate) -> str:
    for oid in (NameOID.COMMON_NAME, NameOID.PSEUDONYM, NameOID.ORGANIZATION_NAME):
        value = _attribute(cert.subject, oid)
        if value:
            return value
    return cert.subject.rfc4514_string()


def _email(cert: x509.Certificate) -> str | None:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails = san.get_values_for_type(x509.RFC822Name)
        if emails:
            return emails[0]
    except x509.ExtensionNotFound:
        pass
    return _attribute(cert.subject, NameOID.EMAIL_ADDRESS)


def _subject(cert: x509.Certificate) -> str:
    """The subject as an RFC 4514 string (``E=`` for the e-mail attribute, as OpenSSL does)."""
    return cert.subject.rfc4514_string({NameOID.EMAIL_ADDRESS: "E"})


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _same_public_key(a: Any, b: Any) -> bool:
    fmt = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return a.public_bytes(*fmt) == b.public_bytes(*fmt)


def _fr_date(moment: dt.datetime) -> str:
    return moment.strftime("%d/%m/%Y à %H:%M")


def _check_validity_period(cert: x509.Certificate, now: dt.datetime | None = None) -> None:
    """Refuse a certificate that is expired or not yet valid (before touching the key)."""
    now = now or dt.datetime.now(dt.UTC)
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    if now > not_after:
        raise SignerCertificateError(
            f"Le certificat de signature de {_display_name(cert)} a expiré le "
            f"{_fr_date(not_after)} (UTC). Renouvelez-le auprès de votre prestataire de "
            "certification avant de signer.",
            detail=f"certificate expired at {not_after.isoformat()}",
        )
    if now < not_before:
        raise SignerCertificateError(
            f"Le certificat de signature de {_display_name(cert)} ne sera valide qu'à partir du "
            f"{_fr_date(not_before)} (UTC). Réessayez à cette date ou vérifiez l'horloge du "
            "serveur.",
            detail=f"certificate not valid before {not_before.isoformat()}",
        )


class Signer:
    """An officer's signing credential: the certificate and a way to reach the private key.

    ``certificate`` is the signer's certificate (a ``cryptography`` object), ``chain`` the other
    certificates that came with it (embedded in signatures). :meth:`session` yields the
    underlying pyHanko signer; for a PKCS#11 signer it opens a session on the token (logging
    in with the PIN) and closes it when the block ends, so each signature has its own session.
    """

    def __init__(
        self,
        certificate: x509.Certificate,
        session_factory: Callable[[], AbstractContextManager[CmsSigner]],
        *,
        chain: tuple[x509.Certificate, ...] = (),
        source: str = "",
    ) -> None:
        self._certificate = certificate
        self._session_factory = session_factory
        self._chain = chain
        self.source = source

    @property
    def certificate(self) -> x509.Certificate:
        """The signer's certificate."""
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """Other certificates supplied with the key (intermediate and root CAs)."""
        return self._chain

    @property
    def display_name(self) -> str:
        """The signer's name as shown on the stamp (the certificate's common name)."""
        return _display_name(self._certificate)

    @property
    def email(self) -> str | None:
        """The signer's e-mail address from the certificate, if any."""
        return _email(self._certificate)

    @property
    def qualified(self) -> bool:
        """Whether the certificate declares the ETSI QcCompliance statement."""
        return has_qc_compliance(self._certificate)

    def session(self) -> AbstractContextManager[CmsSigner]:
        """Context manager yielding the pyHanko signer (a PKCS#11 session for tokens)."""
        return self._session_factory()

    def __repr__(self) -> str:
        return f"<Signer {self.display_name!r} ({self.source})>"


def signer_from_pkcs12(path: Path, passphrase: bytes) -> Signer:
    """Load a signer from a PKCS#12 (``.p12`` / ``.pfx``) file protected by ``passphrase``.

    Raises :class:`SignerCredentialError` when the file is missing, unreadable, protected by
    another passphrase, or holds no key and certificate that belong together.
    """
    from pyhanko.sign.signers import SimpleSigner

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SignerCredentialError(
            f"Le fichier de certificat « {path.name} » est introuvable ou illisible. Vérifiez "
            "son emplacement et ses droits d'accès.",
            detail=f"cannot read {path}: {exc}",
        ) from exc
    try:
        key, cert, others = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise SignerCredentialError(
            f"Le fichier de certificat « {path.name} » n'a pas pu être ouvert : le mot de passe "
            "est incorrect ou le fichier n'est pas un certificat PKCS#12 valide.",
            detail=f"pkcs12 load failed: {exc}",
        ) from exc
    if key is None or cert is None:
        raise SignerCredentialError(
            f"Le fichier « {path.name} » ne contient pas à la fois une clé privée et son "
            "certificat. Exportez-le à nouveau avec la clé privée.",
            detail="pkcs12 without key or certificate",
        )
    if not _same_public_key(key.public_key(), cert.public_key()):
        raise SignerCredentialError(
            f"Dans le fichier « {path.name} », la clé privée ne correspond pas au certificat. "
            "Exportez-le à nouveau depuis votre magasin de certificats.",
            detail="pkcs12 key does not match certificate",
        )
    try:
        simple = SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=passphrase)
    except ValueError as exc:  # pragma: no cover - cryptography already loaded it above
        raise SignerCredentialError(detail=f"pyHanko pkcs12 load failed: {exc}") from exc

    @contextmanager
    def _session() -> Iterator[CmsSigner]:
        yield simple

    return Signer(cert, _session, chain=tuple(others), source=f"pkcs12:{path.name}")


def _pkcs11_error(exc: Exception, *, token_label: str) -> SignatureError:
    """Translate a python-pkcs11 / pyHanko error into a French :class:`SignatureError`."""
    import pkcs11.exceptions as p11

    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, p11.PinIncorrect):
        message = (
            f"Code PIN incorrect pour la carte « {token_label} ». Vérifiez le code et "
            "réessayez : après plusieurs erreurs, la carte se bloque."
        )
    elif isinstance(exc, p11.PinLocked):
        message = (
            f"La carte « {token_label} » est bloquée après trop de codes PIN erronés. "
            "Débloquez-la avec le code PUK fourni par votre prestataire de certification."
        )
    elif isinstance(exc, (p11.PinExpired, p11.PinInvalid, p11.PinLenRange)):
        message = (
            f"Le code PIN de la carte « {token_label} » n'est pas accepté (format invalide ou "
            "code expiré). Vérifiez-le ou changez-le avec l'outil de votre prestataire."
        )
    elif isinstance(exc, (p11.NoSuchToken, p11.TokenNotPresent, p11.TokenNotRecognised)):
        message = (
            f"Aucune carte ni jeton nommé « {token_label} » n'a été trouvé. Vérifiez que la "
            "carte est insérée dans le lecteur et que son nom est correct."
        )
    elif isinstance(exc, (p11.DeviceRemoved, p11.DeviceError, p11.SessionClosed)):
        message = (
            f"La communication avec la carte « {token_label} » a été interrompue. Vérifiez le "
            "lecteur, réinsérez la carte puis réessayez."
        )
    elif isinstance(exc, p11.MultipleTokensReturned):
        message = (
            f"Plusieurs cartes ou jetons portent le nom « {token_label} ». Retirez les cartes "
            "inutiles ou renommez-les, puis réessayez."
        )
    else:
        message = (
            f"La carte « {token_label} » a refusé l'opération de signature. Vérifiez la carte "
            "et son code PIN, puis réessayez."
        )
    return SignerCredentialError(message, detail=detail)


def signer_from_pkcs11(
    lib_path: str,
    token_label: str,
    pin: str,
    key_label: str,
    cert_label: str | None = None,
) -> Signer:
    """A signer whose key stays on a PKCS#11 token (officer's card, HSM).

    The token is found by its label in the module ``lib_path``; the private key by
    ``key_label`` and the certificate by ``cert_label`` (default: the key's label). A session is
    opened here once, to read the certificates and check that the PIN and the key are right,
    then closed; :meth:`Signer.session` opens a fresh session for each signature and closes it
    afterwards. The PIN is kept in memory for the signer's lifetime: build the signer right
    before signing and drop it afterwards.

    Raises :class:`SignerCredentialError` (wrong PIN, locked card, missing token, key or
    certificate, unloadable module).
    """
    import pkcs11
    from pkcs11 import Attribute, ObjectClass
    from pyhanko.sign.pkcs11 import PKCS11Signer

    cert_label = cert_label or key_label

    def _open() -> Any:
        return _open_pkcs11_session(lib_path, token_label, pin)

    session = _open()
    try:
        all_certs = [
            bytes(obj[Attribute.VALUE])
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]
        labelled = [
            bytes(obj[Attribute.VALUE])
            for obj in session.get_objects(
                {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: cert_label}
            )
        ]
        key_count = len(
            list(
                session.get_objects(
                    {
                        Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                        Attribute.LABEL: key_label,
                        Attribute.SIGN: True,
                    }
                )
            )
        )
    except pkcs11.PKCS11Error as exc:
        raise _pkcs11_error(exc, token_label=token_label) from exc
    finally:
        session.close()

    if len(labelled) != 1:
        raise SignerCredentialError(
            f"Le certificat « {cert_label} » est introuvable (ou présent plusieurs fois) sur la "
            f"carte « {token_label} ». Vérifiez le nom du certificat.",
            detail=f"{len(labelled)} certificate objects labelled {cert_label!r}",
        )
    if key_count != 1:
        raise SignerCredentialError(
            f"La clé de signature « {key_label} » est introuvable (ou présente plusieurs fois) "
            f"sur la carte « {token_label} ». Vérifiez le nom de la clé.",
            detail=f"{key_count} signing private keys labelled {key_label!r}",
        )
    try:
        certificate = x509.load_der_x509_certificate(labelled[0])
        chain = tuple(
            cert
            for cert in (x509.load_der_x509_certificate(der) for der in all_certs)
            if cert != certificate
        )
    except ValueError as exc:
        raise SignerCredentialError(
            f"Le certificat « {cert_label} » de la carte « {token_label} » est illisible.",
            detail=f"bad certificate DER on token: {exc}",
        ) from exc
    asn1_cert = _to_asn1(certificate)
    asn1_chain = [_to_asn1(c) for c in chain]

    @contextmanager
    def _session() -> Iterator[CmsSigner]:
        token_session = _open()
        try:
            yield PKCS11Signer(
                token_session,
                key_label=key_label,
                signing_cert=asn1_cert,
                ca_chain=asn1_chain,
                other_certs_to_pull=(),
            )
        finally:
            token_session.close()

    return Signer(certificate, _session, chain=chain, source=f"pkcs11:{token_label}")


def _open_pkcs11_session(lib_path: str, token_label: str, pin: str) -> Any:
    """Load the module, find the token by label and open a logged-in session on it."""
    import pkcs11

    try:
        lib = pkcs11.lib(lib_path)
    except Exception as exc:  # python-pkcs11 raises a bare PKCS11Error when dlopen fails
        raise SignerCredentialError(
            f"Le module PKCS#11 « {lib_path} » est introuvable ou ne peut pas être chargé. "
            "Vérifiez l'installation du logiciel de la carte ou du HSM.",
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc
    try:
        token = lib.get_token(token_label=token_label)
        return token.open(user_pin=pin)
    except pkcs11.PKCS11Error as exc:
        raise _pkcs11_error(exc, token_label=token_label) from exc
