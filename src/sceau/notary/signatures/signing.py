"""PAdES signing (B-T, or B-LT with a validation context) with a visible stamp."""

from __future__ import annotations

import datetime as dt
import unicodedata
from io import BytesIO
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sceau.notary.errors import (
    NotaryError,
    PdfDocumentError,
    SignatureError,
    SignerCertificateError,
)
from sceau.notary.signatures.constants import (
    DEFAULT_FIELD_NAME,
    DISPLAY_TIMEZONE,
    STAMP_MARGIN,
    STAMP_SIZE,
    STAMP_TEXT,
)
from sceau.notary.signatures.signers import Signer, _check_validity_period, _pkcs11_error, _to_asn1

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper
    from pyhanko_certvalidator import ValidationContext


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
