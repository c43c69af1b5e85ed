"""PAdES signatures of PDF documents by an officer, and their verification (pyHanko).

An officer signs a PDF (for instance an enforceable title) with the key of a qualified
certificate, held either in a PKCS#12 file or on a card / HSM reached through PKCS#11:

* :func:`signer_from_pkcs12` and :func:`signer_from_pkcs11` build a :class:`Signer`;
* :func:`sign_pdf` produces a PAdES baseline signature (subfilter ``ETSI.CAdES.detached``):
  B-T (signature time-stamp) always, B-LT when a validation context is given (certificates and
  revocation information embedded in the document security store, in the signed revision);
* :func:`validate_pdf` returns one :class:`SignatureReport` per signature of a document.

This module is free of Django on purpose: it is used by the web application, by command-line
tools and by offline verifiers alike. pyHanko's synchronous entry points run their own event
loop, so these functions must not be called from a running asyncio loop (wrap them in
``asyncio.to_thread`` / ``sync_to_async`` there).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from asn1crypto import core as asn1_core
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID, ObjectIdentifier

from sceau.notary.errors import NotaryError, SignatureError

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer as CmsSigner
    from pyhanko.sign.timestamps import TimeStamper
    from pyhanko_certvalidator import ValidationContext

__all__ = [
    "DEFAULT_FIELD_NAME",
    "QC_COMPLIANCE_OID",
    "QC_STATEMENTS_OID",
    "PdfDocumentError",
    "SignatureError",
    "SignatureReport",
    "Signer",
    "SignerCertificateError",
    "SignerCredentialError",
    "build_validation_context",
    "has_qc_compliance",
    "sign_pdf",
    "signer_from_pkcs11",
    "signer_from_pkcs12",
    "validate_pdf",
]

DEFAULT_FIELD_NAME = "SignatureSceau"
QC_STATEMENTS_OID = "1.3.6.1.5.5.7.1.3"
"""id-pe-qcStatements (RFC 3739)."""
QC_COMPLIANCE_OID = "0.4.0.1862.1.1"
"""id-etsi-qcs-QcCompliance (ETSI EN 319 412-5): the certificate is an EU qualified one."""

STAMP_TEXT = (
    "Signé électroniquement par %(signer)s\n"
    "le %(signed_at)s\n"
    "Motif : %(reason)s\n"
    "Lieu : %(location)s"
)
STAMP_SIZE = (290, 72)  # width, height in PDF points
STAMP_MARGIN = 36
DISPLAY_TIMEZONE = "Europe/Paris"


# --------------------------------------------------------------------------- errors


class SignerCredentialError(SignatureError):
    """The signing key cannot be reached: PKCS#12 file, passphrase, card, PIN, labels."""

    code = "signer_credential"
    message = (
        "La clé de signature est inaccessible. Vérifiez le certificat, la carte et le code "
        "PIN, puis réessayez."
    )


class SignerCertificateError(SignatureError):
    """The signer's certificate cannot be used to sign now (expired, revoked, untrusted)."""

    code = "signer_certificate"
    message = (
        "Le certificat de signature ne peut pas être utilisé. Vérifiez sa validité auprès de "
        "votre prestataire de certification."
    )


class PdfDocumentError(SignatureError):
    """The PDF cannot be read, or holds no signature to verify."""

    code = "pdf_unreadable"
    message = (
        "Le document PDF est illisible ou endommagé. Vérifiez le fichier et déposez-le à nouveau."
    )


# --------------------------------------------------------------------------- certificates


class _QcStatement(asn1_core.Sequence):
    _fields = [
        ("statement_id", asn1_core.ObjectIdentifier),
        ("statement_info", asn1_core.Any, {"optional": True}),
    ]


class _QcStatements(asn1_core.SequenceOf):
    _child_spec = _QcStatement


def _qc_statement_ids(cert: x509.Certificate) -> list[str]:
    """The statement OIDs of the certificate's QCStatements extension ([] when absent).

    Raises ``ValueError`` when the extension is present but not valid DER.
    """
    try:
        ext = cert.extensions.get_extension_for_oid(ObjectIdentifier(QC_STATEMENTS_OID))
    except x509.ExtensionNotFound:
        return []
    value = ext.value
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else value.public_bytes()
    statements = _QcStatements.load(raw, strict=True)
    return [statement["statement_id"].dotted for statement in statements]


def has_qc_compliance(cert: x509.Certificate) -> bool:
    """Whether ``cert`` declares the ETSI QcCompliance statement (an EU qualified certificate).

    This reads the certificate's own claim; it does not check the issuer against the EU trusted
    lists. A malformed QCStatements extension counts as no claim.
    """
    try:
        return QC_COMPLIANCE_OID in _qc_statement_ids(cert)
    except ValueError:
        return False


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


# --------------------------------------------------------------------------- signers


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


# --------------------------------------------------------------------------- signing


def build_validation_context(
    trust_roots: list[x509.Certificate],
    *,
    crls: list[x509.CertificateRevocationList] | None = None,
    other_certs: list[x509.Certificate] | None = None,
    allow_fetching: bool = False,
    revocation_mode: str = "soft-fail",
) -> ValidationContext:
    """A pyHanko validation context from ``cryptography`` objects.

    Pass it to :func:`sign_pdf` to produce a B-LT signature: the chain and the revocation
    information (the ``crls`` given, and CRLs / OCSP responses fetched from the certificates'
    distribution points when ``allow_fetching`` is true) are embedded into the document.
    ``revocation_mode`` is pyHanko's: ``"soft-fail"``, ``"hard-fail"`` or ``"require"``.
    """
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=[_to_asn1(c) for c in trust_roots],
        other_certs=[_to_asn1(c) for c in other_certs or []],
        crls=[c.public_bytes(serialization.Encoding.DER) for c in crls or []],
        allow_fetching=allow_fetching,
        revocation_mode=revocation_mode,
    )


def _stamp_safe(text: str) -> str:
    """Text the stamp's standard font (WinAnsi) can show: typographic marks made plain."""
    replacements = {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "œ": "oe",
        "Œ": "OE",
        "€": "EUR",
        "…": "...",
    }
    text = "".join(replacements.get(ch, ch) for ch in text)
    out = []
    for ch in text:
        if ord(ch) < 0x20 and ch != "\n":
            out.append(" ")
        elif 0x20 <= ord(ch) < 0x7F or 0xA0 <= ord(ch) <= 0xFF or ch == "\n":
            out.append(ch)
        else:
            plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def _now_for_display() -> str:
    try:
        zone = ZoneInfo(DISPLAY_TIMEZONE)
        suffix = "(heure de Paris)"
    except ZoneInfoNotFoundError:  # pragma: no cover - tzdata missing
        zone = dt.UTC
        suffix = "UTC"
    return dt.datetime.now(zone).strftime(f"%d/%m/%Y à %H:%M:%S {suffix}")


def _signature_widget_tops(page: Any) -> list[float]:
    """Top edges of the visible signature widgets already on ``page``."""
    tops = []
    for annot_ref in page.get("/Annots", None) or []:
        try:
            annot = annot_ref.get_object()
            kind = annot.get("/FT") or annot["/Parent"].get_object().get("/FT")
            rect = [float(v) for v in annot["/Rect"]]
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if kind == "/Sig" and rect[2] > rect[0] and rect[3] > rect[1]:
            tops.append(max(rect[1], rect[3]))
    return tops


def _stamp_box(writer: Any) -> tuple[int, int, int, int]:
    """Bottom-right corner of the last page, above the signature stamps already there."""
    from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree

    width, height = STAMP_SIZE
    tops: list[float] = []
    try:
        page_ref, _ = writer.find_page_for_modification(-1)
        page = page_ref.get_object()
        box = find_inherited_value_in_tree(page, "/CropBox", "/Parent") or (
            find_inherited_value_in_tree(page, "/MediaBox", "/Parent")
        )
        llx, lly, urx, ury = (float(v) for v in box)
        tops = _signature_widget_tops(page)
    except Exception:  # noqa: BLE001 - odd page trees: fall back to A4
        llx, lly, urx, ury = 0.0, 0.0, 595.0, 842.0
    x2 = int(urx) - STAMP_MARGIN
    x1 = max(int(llx), x2 - width)
    y1 = int(lly) + STAMP_MARGIN
    if tops:
        y1 = max(y1, int(max(tops)) + STAMP_MARGIN // 3)
    y2 = min(int(ury), y1 + height)
    return (x1, y1, x2, y2)


def _signing_failure(exc: Exception, signer: Signer) -> SignatureError:
    """Translate an error raised while signing into a French :class:`SignatureError`."""
    import pkcs11
    from pyhanko.sign.timestamps import TimestampRequestError
    from pyhanko_certvalidator import errors as cv_errors

    detail = f"{type(exc).__name__}: {exc}"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, cv_errors.RevokedError):
            return SignerCertificateError(
                f"Le certificat de signature de {signer.display_name} a été révoqué : il ne peut "
                "plus servir à signer. Contactez votre prestataire de certification.",
                detail=detail,
            )
        if isinstance(cause, cv_errors.ExpiredError | cv_errors.NotYetValidError):
            return SignerCertificateError(
                f"Le certificat de signature de {signer.display_name} (ou l'un des certificats "
                "de sa chaîne) n'est pas valide à cette date. Renouvelez-le avant de signer.",
                detail=detail,
            )
        if isinstance(cause, cv_errors.InsufficientRevinfoError):
            return SignerCertificateError(
                "L'état de révocation du certificat de signature n'a pas pu être vérifié (liste "
                "de révocation ou réponse OCSP indisponible). Réessayez plus tard.",
                detail=detail,
            )
        if isinstance(cause, cv_errors.PathBuildingError | cv_errors.PathValidationError):
            return SignerCertificateError(
                f"Le certificat de signature de {signer.display_name} n'est pas reconnu par les "
                "autorités de confiance de la plateforme, ou son usage ne permet pas de signer. "
                "Vérifiez qu'il s'agit bien de votre certificat de signature.",
                detail=detail,
            )
        if isinstance(cause, TimestampRequestError):
            return SignatureError(
                "L'autorité d'horodatage n'a pas répondu ou a refusé la demande : le document "
                "n'a pas été signé. Réessayez dans quelques instants.",
                detail=detail,
            )
        if isinstance(cause, pkcs11.PKCS11Error):
            return _pkcs11_error(cause, token_label=signer.source.split(":", 1)[-1])
        cause = cause.__cause__
    return SignatureError(
        "La signature du document a échoué. Vérifiez le document et le certificat, puis "
        "réessayez ; si le problème persiste, contactez l'administrateur de la plateforme.",
        detail=detail,
    )


def sign_pdf(
    pdf: bytes,
    signer: Signer,
    *,
    timestamper: TimeStamper,
    reason: str,
    location: str,
    field_name: str = DEFAULT_FIELD_NAME,
    visible: bool = True,
    validation_context: ValidationContext | None = None,
) -> bytes:
    """Sign ``pdf`` as ``signer`` and return the signed document (an incremental update).

    The signature is PAdES (subfilter ``ETSI.CAdES.detached``, SHA-256) with a signature
    time-stamp from ``timestamper`` (a pyHanko ``TimeStamper``): baseline B-T. When
    ``validation_context`` is given (see :func:`build_validation_context`), the signer's and
    the time-stamping authority's certificates are validated first (refusing an untrusted or
    revoked certificate) and the chains and revocation information are embedded in the
    document security store of the signed revision: baseline B-LT.

    With ``visible``, a stamp is drawn at the bottom right of the last page ("Signé
    électroniquement par ... le ..."); otherwise the signature field is invisible.

    Raises :class:`SignatureError` (or a subclass) with a French message on any failure.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
    from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
    from pyhanko.stamp import TextStampStyle

    if timestamper is None:
        raise SignatureError(
            "Aucune autorité d'horodatage n'est configurée : une signature sans horodatage "
            "n'est pas admise. Contactez l'administrateur de la plateforme.",
            detail="sign_pdf needs a timestamper (PAdES B-T)",
        )
    _check_validity_period(signer.certificate)

    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise PdfDocumentError(
            "Le document PDF est illisible ou endommagé : il ne peut pas être signé. Vérifiez "
            "le fichier (ouvrez-le dans un lecteur PDF) puis déposez-le à nouveau.",
            detail=f"cannot parse PDF: {exc}",
        ) from exc
    if writer.prev.encrypted:
        raise PdfDocumentError(
            "Le document PDF est protégé par un mot de passe : retirez la protection avant de le "
            "faire signer.",
            detail="encrypted PDF",
        )

    field_spec = SigFieldSpec(
        sig_field_name=field_name,
        on_page=-1,
        box=_stamp_box(writer) if visible else None,
    )
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=validation_context is not None,
        validation_context=validation_context,
        signer_key_usage={"non_repudiation"},
        dss_settings=DSSContentSettings(
            include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
        ),
    )
    style = TextStampStyle(stamp_text=STAMP_TEXT, border_width=1)
    text_params = {
        "signer": _stamp_safe(signer.display_name),
        "signed_at": _stamp_safe(_now_for_display()),
        "reason": _stamp_safe(reason),
        "location": _stamp_safe(location),
    }
    try:
        with signer.session() as cms_signer:
            pdf_signer = PdfSigner(
                meta,
                cms_signer,
                timestamper=timestamper,
                stamp_style=style,
                new_field_spec=field_spec,
            )
            output = pdf_signer.sign_pdf(writer, appearance_text_params=text_params)
    except NotaryError:  # typed already: a refused or unreachable timestamp authority, ...
        raise
    except Exception as exc:  # every failure becomes a typed French error
        failure = _signing_failure(exc, signer)
        if "appears to be filled already" in str(exc):
            failure = SignatureError(
                f"Le champ de signature « {field_name} » du document est déjà signé. Choisissez "
                "un autre nom de champ pour ajouter une signature.",
                detail=str(exc),
            )
        raise failure from exc
    return output.getvalue()


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class SignatureReport:
    """What :func:`validate_pdf` found about one signature of a document.

    * ``valid``: the signed bytes are unchanged (``intact``) and the signature value verifies;
    * ``trusted``: the signer's certificate chains to one of the given roots, is not revoked
      (as far as the revocation information at hand tells) and allows signing
      (nonRepudiation);
    * ``timestamp_valid``: a signature time-stamp is present, matches the signature and
      chains to one of the given roots; ``timestamp_time`` is its time;
    * ``qualified``: the signer's certificate carries the ETSI QcCompliance statement;
    * ``signing_time``: the time the signer claims (signed attribute, else the ``/M`` entry);
    * ``level``: the PAdES baseline form of the signature: ``"B-B"`` (no valid time-stamp),
      ``"B-T"``, or ``"B-LT"`` (plus revocation information for the signer's certificate in
      the document security store). It says nothing of integrity: read it with ``valid``;
    * ``covers_whole_file``: nothing was appended to the document after this signature;
    * ``problems``: French sentences for the user, empty when all is well.
    """

    field_name: str
    valid: bool
    intact: bool
    trusted: bool
    signer_name: str
    signer_email: str | None
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    timestamp_valid: bool
    chain: list[str]
    qualified: bool
    level: str
    covers_whole_file: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Valid, trusted, time-stamped and covering the whole file."""
        return self.valid and self.trusted and self.timestamp_valid and self.covers_whole_file


def _chain_subjects(signer_cert: x509.Certificate, candidates: list[x509.Certificate]) -> list[str]:
    """Subjects from the signer up to the last issuer found among ``candidates``."""
    subjects = [_subject(signer_cert)]
    current = signer_cert
    seen = {current.fingerprint(_sha256())}
    while current.issuer != current.subject:
        issuer = next((c for c in candidates if c.subject == current.issuer), None)
        if issuer is None:
            break
        marker = issuer.fingerprint(_sha256())
        if marker in seen:
            break
        seen.add(marker)
        subjects.append(_subject(issuer))
        current = issuer
    return subjects


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _dss_has_revinfo_for(reader: Any, signer_cert: asn1_x509.Certificate) -> bool:
    """Whether the DSS holds a CRL of the signer's issuer or an OCSP answer for the signer."""
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return False
    for ref in dss.crls:
        try:
            crl = asn1_crl.CertificateList.load(ref.get_object().data)
            if crl["tbs_cert_list"]["issuer"] == signer_cert.issuer:
                return True
        except (ValueError, KeyError, TypeError):
            continue
    for ref in dss.ocsps:
        try:
            resp = asn1_ocsp.OCSPResponse.load(ref.get_object().data)
            for single in resp.basic_ocsp_response["tbs_response_data"]["responses"]:
                if single["cert_id"]["serial_number"].native == signer_cert.serial_number:
                    return True
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return False


def _validation_context_for(
    reader: Any, trust_roots: list[x509.Certificate], crls: list[Any] | None
) -> ValidationContext:
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    kwargs: dict[str, Any] = {
        "trust_roots": [_to_asn1(c) for c in trust_roots],
        "crls": [
            c.public_bytes(serialization.Encoding.DER)
            if isinstance(c, x509.CertificateRevocationList)
            else c
            for c in crls or []
        ],
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
    }
    try:
        return DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    except NoDSSFoundError:
        from pyhanko_certvalidator import ValidationContext

        return ValidationContext(**kwargs)


def _report(embedded: Any, status: Any, reader: Any, *, field_name: str) -> SignatureReport:
    from pyhanko.sign.validation import SignatureCoverageLevel

    signer_cert = _from_asn1(embedded.signer_cert)
    problems: list[str] = []

    intact = bool(status.intact)
    valid = intact and bool(status.valid)
    trusted = bool(status.trusted)
    if not intact:
        problems.append(
            "Le contenu signé a été modifié après la signature : l'empreinte du document ne "
            "correspond plus à celle qui a été signée."
        )
    elif not status.valid:
        problems.append("La valeur de la signature est invalide (signature falsifiée).")
    if valid and not trusted:
        if status.revoked:
            problems.append("Le certificat du signataire a été révoqué.")
        else:
            problems.append(
                "Le certificat du signataire n'est pas rattaché à une autorité de confiance "
                "reconnue, n'est pas valide à cette date ou ne permet pas de signer."
            )

    ts = status.timestamp_validity
    timestamp_time = ts.timestamp if ts is not None else None
    timestamp_valid = bool(ts is not None and ts.intact and ts.valid and ts.trusted)
    if ts is None:
        problems.append("La signature ne comporte pas d'horodatage (jeton d'horodatage absent).")
    elif not timestamp_valid:
        problems.append(
            "L'horodatage de la signature est invalide ou son autorité n'est pas reconnue."
        )

    coverage = status.coverage
    covers_whole_file = coverage == SignatureCoverageLevel.ENTIRE_FILE
    if not covers_whole_file:
        if coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok:
            problems.append(
                "Le document a été complété après cette signature (ajouts autorisés, comme une "
                "autre signature ou des informations de validation)."
            )
        elif coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            problems.append(
                "Le document a été modifié après cette signature d'une manière non autorisée."
            )
        else:
            problems.append("La signature ne couvre pas l'ensemble du document.")

    try:
        qualified = QC_COMPLIANCE_OID in _qc_statement_ids(signer_cert)
    except ValueError:
        qualified = False
        problems.append("La déclaration de certificat qualifié (QCStatements) est illisible.")

    if not timestamp_valid:
        level = "B-B"
    elif _dss_has_revinfo_for(reader, embedded.signer_cert):
        level = "B-LT"
    else:
        level = "B-T"

    if status.validation_path is not None:
        path_certs = [_from_asn1(c) for c in status.validation_path.iter_certs(True)]
        chain = [_subject(c) for c in reversed(path_certs)]
        if not path_certs:  # pragma: no cover - a path always holds the leaf
            chain = [_subject(signer_cert)]
    else:
        others = [_from_asn1(c) for c in embedded.other_embedded_certs]
        chain = _chain_subjects(signer_cert, others)

    return SignatureReport(
        field_name=field_name,
        valid=valid,
        intact=intact,
        trusted=trusted,
        signer_name=_display_name(signer_cert),
        signer_email=_email(signer_cert),
        signing_time=status.signer_reported_dt,
        timestamp_time=timestamp_time,
        timestamp_valid=timestamp_valid,
        chain=chain,
        qualified=qualified,
        level=level,
        covers_whole_file=covers_whole_file,
        problems=problems,
    )


def _collect_signatures(reader: Any) -> list[tuple[str, Any]]:
    """The document's ``/Sig`` signatures in signing order, as ``(field name, item)`` pairs.

    ``item`` is a pyHanko ``EmbeddedPdfSignature``, or the exception raised while reading a
    signature whose container is broken (so that it is reported rather than hiding the others).
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation import EmbeddedPdfSignature

    entries: list[tuple[float, str, Any]] = []
    for fq_name, sig_object_ref, sig_field in enumerate_sig_fields(reader, filled_status=True):
        sig_object = sig_object_ref.get_object()
        if sig_object.get("/Type", "/Sig") != "/Sig":  # document time-stamps
            continue
        try:
            order = float(reader.xrefs.get_last_change(sig_object_ref.reference))
        except (AttributeError, KeyError, ValueError, PdfError):
            order = float("inf")
        try:
            item: Any = EmbeddedPdfSignature(reader, sig_field, fq_name)
        except (PdfError, ValueError, TypeError, KeyError, IndexError) as exc:
            item = exc
        entries.append((order, str(fq_name), item))
    entries.sort(key=lambda entry: entry[0])
    return [(name, item) for _, name, item in entries]


def validate_pdf(
    pdf: bytes,
    trust_roots: list[x509.Certificate],
    *,
    crls: list[x509.CertificateRevocationList] | None = None,
) -> list[SignatureReport]:
    """Verify every signature of ``pdf`` against ``trust_roots``; one report each, in order.

    Verification is offline, at the current time: the revocation information used is ``crls``
    plus what the document embeds (its document security store); nothing is fetched. Document
    time-stamps (``/DocTimeStamp``) are not reported. A signature whose container cannot even
    be decoded gets a report saying so (invalid), the others are still verified.

    Raises :class:`PdfDocumentError` when the document cannot be parsed or holds no signature.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = _collect_signatures(reader)
    except (PdfError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise PdfDocumentError(
            "Le document PDF est illisible ou endommagé : ses signatures ne peuvent pas être "
            "vérifiées.",
            detail=f"cannot parse PDF: {exc}",
        ) from exc
    if not signatures:
        raise PdfDocumentError(
            "Ce document PDF ne comporte aucune signature électronique.",
            detail="no /Sig signature in document",
        )

    context = _validation_context_for(reader, trust_roots, crls)
    reports = []
    for field_name, embedded in signatures:
        if isinstance(embedded, Exception):
            reports.append(_broken_report(None, field_name, embedded))
            continue
        try:
            status = validate_pdf_signature(embedded, signer_validation_context=context)
        except Exception as exc:  # noqa: BLE001 - a broken signature is reported, not raised
            reports.append(_broken_report(embedded, field_name, exc))
            continue
        reports.append(_report(embedded, status, reader, field_name=field_name))
    return reports


def _broken_report(embedded: Any | None, field_name: str, exc: Exception) -> SignatureReport:
    """A report for a signature whose CMS structure could not even be evaluated."""
    signer_cert: x509.Certificate | None = None
    if embedded is not None:
        try:
            signer_cert = _from_asn1(embedded.signer_cert)
        except Exception:  # noqa: BLE001 - no usable signer certificate
            signer_cert = None
    return SignatureReport(
        field_name=field_name,
        valid=False,
        intact=False,
        trusted=False,
        signer_name=_display_name(signer_cert) if signer_cert else "",
        signer_email=_email(signer_cert) if signer_cert else None,
        signing_time=None,
        timestamp_time=None,
        timestamp_valid=False,
        chain=[_subject(signer_cert)] if signer_cert else [],
        qualified=has_qc_compliance(signer_cert) if signer_cert else False,
        level="B-B",
        covers_whole_file=False,
        problems=[
            "La signature est endommagée (structure illisible) et n'a pas pu être vérifiée.",
        ],
    )
