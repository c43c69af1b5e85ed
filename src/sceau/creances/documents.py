"""The documents of the small-claims procedure (Petites créances, CPCE L125-1, R125-1 to R125-8).

Three A4 PDFs, built with reportlab platypus in the house style (2 cm margins, DejaVu fonts when
the system has them, deterministic bytes for the same input thanks to ``invariant=1`` and a
creation date taken from the facts):

* ``render_invitation_pdf``: the letter inviting the debtor to take part (R125-2), following the
  structure of the official model (heading, "Objet", the claim split into principal and interest,
  the ways to accept or refuse, the one-month deadline written out, silence worth refusal, the
  reproduced texts, then the acceptance and refusal forms). It is the only document that prints
  the debtor's personal access code: it goes by registered post. ``invitation_text`` gives the
  same letter as plain paragraphs for an electronic message, without the code.
* ``render_record_pdf``: the record of the end of the procedure (R125-5), stating which of the
  four outcomes ended it.
* ``render_title_pdf``: the executory title issued on agreement (L125-1), with the schedule, the
  enforcement formula and the R125-8 note.

The record and the title are signed afterwards (PAdES, ``sceau.notary.signatures``) with a
visible stamp drawn at the bottom right of the last page: both keep the bottom of their last page
free of text (``SIGNATURE_ROOM``) so that the stamp never covers a word.

Amounts are written the French way, "1 234,56 €", with NO-BREAK SPACE (U+00A0) both as the
thousands separator and before the euro sign: every font used can draw it (it is in
Windows-1252 too), and reportlab never breaks a line on it. The narrow no-break space (U+202F),
typographically finer, is not used because reportlab's paragraphs treat it as an ordinary
breakable space.

This module is pure: it imports neither Django nor the models, so it can be tested and reused
without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sceau.core import pdf as pdfkit
from sceau.core.dates import PARIS, format_french_date

__all__ = [
    "BASIS_LABELS",
    "CPCE_TEXTS",
    "CPCE_TEXT_TITLES",
    "ENFORCEMENT_FORMULA",
    "ENFORCEMENT_HEADING",
    "INVITATION_TITLE",
    "OUTCOME_LABELS",
    "OUTCOME_NUMBERS",
    "R125_8_NOTE",
    "RECORD_TITLE",
    "SIGNATURE_ROOM",
    "TITLE_TITLE",
    "ClaimFacts",
    "Instalment",
    "Party",
    "access_url",
    "format_euros",
    "invitation_text",
    "render_invitation_pdf",
    "render_record_pdf",
    "render_title_pdf",
]

NBSP = "\u00a0"

INVITATION_TITLE = "Invitation à participer à une procédure simplifiée de recouvrement"
RECORD_TITLE = "Procès-verbal de fin de procédure simplifiée de recouvrement des petites créances"
TITLE_TITLE = "Titre exécutoire — procédure simplifiée de recouvrement des petites créances"

BASIS_LABELS: dict[str, str] = {
    "contractual": "créance ayant une cause contractuelle",
    "statutory": "créance résultant d'une obligation de caractère statutaire",
}

# The four ways the procedure ends (CPCE R125-5, 1° to 4°), in the order of the article.
OUTCOME_LABELS: dict[str, str] = {
    "refused_participation": "refus du débiteur de participer à la procédure",
    "no_agreement_in_time": "expiration du délai d'un mois sans accord",
    "terms_refused": "refus exprès des modalités de paiement proposées",
    "agreement": "accord du créancier et du débiteur sur le montant et les modalités de paiement",
}
OUTCOME_NUMBERS: dict[str, str] = {
    "refused_participation": "1°",
    "no_agreement_in_time": "2°",
    "terms_refused": "3°",
    "agreement": "4°",
}

# --- Reproduced texts -----------------------------------------------------------------------
# R125-2 II requires the invitation to reproduce CPCE L111-2, L111-3, L125-1 and Civil Code
# article 2238. The wording below is the consolidated version published on Légifrance (CPCE:
# LEGITEXT000025024948; Code civil: LEGITEXT000006070721) as in force in 2025 to our knowledge:
# L111-2 unchanged since 2012; L111-3 as amended up to the version in force on 1 June 2023
# (2° bis on the Unified Patent Court, 7° added by loi n° 2021-1729); L125-1 as amended by loi
# n° 2019-222 (electronic message); 2238 as amended by loi n° 2015-990. It was transcribed and
# cross-checked against secondary reproductions (doctrine.fr, service-public.fr, law firms'
# sites), NOT copied from an authenticated Légifrance extract: it MUST be checked word for word
# against Légifrance before production, and again whenever one of these articles is amended.
# Légifrance still reads "huissier de justice" in these articles; the profession became
# "commissaire de justice" on 1 July 2022, which the letter explains in a note under the texts.
CPCE_TEXTS: dict[str, str] = {
    "L111-2": (
        "Le créancier muni d'un titre exécutoire constatant une créance liquide et exigible peut "
        "en poursuivre l'exécution forcée sur les biens de son débiteur dans les conditions "
        "propres à chaque mesure d'exécution."
    ),
    "L111-3": (
        "Seuls constituent des titres exécutoires :\n"
        "1° Les décisions des juridictions de l'ordre judiciaire ou de l'ordre administratif "
        "lorsqu'elles ont force exécutoire, ainsi que les accords auxquels ces juridictions ont "
        "conféré force exécutoire ;\n"
        "2° Les actes et les jugements étrangers ainsi que les sentences arbitrales déclarés "
        "exécutoires par une décision non susceptible d'un recours suspensif d'exécution, sans "
        "préjudice des dispositions du droit de l'Union européenne applicables ;\n"
        "2° bis Les décisions rendues par la juridiction unifiée du brevet ;\n"
        "3° Les extraits de procès-verbaux de conciliation signés par le juge et les parties ;\n"
        "4° Les actes notariés revêtus de la formule exécutoire ;\n"
        "4° bis Les accords par lesquels les époux consentent mutuellement à leur divorce ou à "
        "leur séparation de corps par acte sous signature privée contresigné par avocats, déposés "
        "au rang des minutes d'un notaire selon les modalités prévues à l'article 229-1 du code "
        "civil ;\n"
        "5° Le titre délivré par l'huissier de justice en cas de non-paiement d'un chèque ou en "
        "cas d'accord entre le créancier et le débiteur dans les conditions prévues à l'article "
        "L. 125-1 ;\n"
        "6° Les titres délivrés par les personnes morales de droit public qualifiés comme tels "
        "par la loi, ou les décisions auxquelles la loi attache les effets d'un jugement ;\n"
        "7° Les transactions et les actes constatant un accord issu d'une médiation, d'une "
        "conciliation ou d'une procédure participative, lorsqu'ils sont contresignés par les "
        "avocats de chacune des parties et revêtus de la formule exécutoire par le greffe de la "
        "juridiction compétente."
    ),
    "L125-1": (
        "Une procédure simplifiée de recouvrement des petites créances peut être mise en œuvre "
        "par un huissier de justice à la demande du créancier pour le paiement d'une créance "
        "ayant une cause contractuelle ou résultant d'une obligation de caractère statutaire et "
        "inférieure à un montant défini par décret en Conseil d'Etat.\n"
        "Cette procédure se déroule dans un délai d'un mois à compter de l'envoi par l'huissier "
        "d'une lettre recommandée avec demande d'avis de réception ou d'un message transmis par "
        "voie électronique invitant le débiteur à participer à cette procédure. L'accord du "
        "débiteur, constaté par l'huissier de justice, suspend la prescription.\n"
        "L'huissier de justice qui a reçu l'accord du créancier et du débiteur sur le montant et "
        "les modalités du paiement délivre, sans autre formalité, un titre exécutoire.\n"
        "Les frais de toute nature qu'occasionne la procédure sont à la charge exclusive du "
        "créancier.\n"
        "Un décret en Conseil d'Etat fixe les modalités d'application du présent article, "
        "notamment les règles de prévention des conflits d'intérêts lors de la délivrance par "
        "l'huissier de justice d'un titre exécutoire."
    ),
    "2238": (
        "La prescription est suspendue à compter du jour où, après la survenance d'un litige, "
        "les parties conviennent de recourir à la médiation ou à la conciliation ou, à défaut "
        "d'accord écrit, à compter du jour de la première réunion de médiation ou de "
        "conciliation. La prescription est également suspendue à compter de la conclusion d'une "
        "convention de procédure participative ou à compter de l'accord du débiteur constaté par "
        "l'huissier de justice pour participer à la procédure prévue à l'article L. 125-1 du "
        "code des procédures civiles d'exécution.\n"
        "Le délai de prescription recommence à courir, pour une durée qui ne peut être "
        "inférieure à six mois, à compter de la date à laquelle soit l'une des parties ou les "
        "deux, soit le médiateur ou le conciliateur déclarent que la médiation ou la conciliation "
        "est terminée. En cas de convention de procédure participative, le délai de prescription "
        "recommence à courir à compter du terme de la convention, pour une durée qui ne peut être "
        "inférieure à six mois. En cas d'échec de la procédure prévue au même article, le délai "
        "de prescription recommence à courir à compter de la date du refus du débiteur, constaté "
        "par l'huissier, pour une durée qui ne peut être inférieure à six mois."
    ),
}
CPCE_TEXT_TITLES: dict[str, str] = {
    "L111-2": "Article L. 111-2 du code des procédures civiles d'exécution",
    "L111-3": "Article L. 111-3 du code des procédures civiles d'exécution",
    "L125-1": "Article L. 125-1 du code des procédures civiles d'exécution",
    "2238": "Article 2238 du code civil",
}
PROFESSION_NOTE = (
    "Depuis le 1er juillet 2022, la profession d'huissier de justice est remplacée par celle de "
    "commissaire de justice (ordonnance n° 2016-728 du 2 juin 2016) : dans les textes "
    "ci-dessus, l'huissier de justice s'entend du commissaire de justice."
)

# Article 1 of décret n° 47-1047 du 12 juin 1947 (as amended by décret n° 2019-966: "tribunaux
# judiciaires"), with "commissaires de justice" for "huissiers de justice" since 1 July 2022 and
# "ledit titre" for "ledit arrêt (ou ledit jugement, etc.)". Check against Légifrance before
# production, like the texts above.
ENFORCEMENT_HEADING = ("RÉPUBLIQUE FRANÇAISE", "AU NOM DU PEUPLE FRANÇAIS")
ENFORCEMENT_FORMULA = (
    "En conséquence, la République française mande et ordonne à tous commissaires de justice, "
    "sur ce requis, de mettre ledit titre à exécution, aux procureurs généraux et aux procureurs "
    "de la République près les tribunaux judiciaires d'y tenir la main, à tous commandants et "
    "officiers de la force publique de prêter main-forte lorsqu'ils en seront légalement requis."
)
# CPCE R125-8 (conflict of interest), paraphrased; the wording of the article is to be checked.
R125_8_NOTE = (
    "Conformément à l'article R. 125-8 du code des procédures civiles d'exécution, le "
    "commissaire de justice qui a délivré le présent titre exécutoire ne peut pas procéder à son "
    "exécution forcée."
)

# Free height kept at the bottom of the last page of the signed documents: the visible PAdES
# stamp (sceau.notary.signatures: 290 x 72 pt, 36 pt from the page's bottom-right corner) then
# lies below the last line of text.
SIGNATURE_ROOM = 2.6 * cm
FOOTER_Y = 0.9 * cm  # below the stamp, which starts 36 pt (1.27 cm) above the page's edge
# Width of the text frame: A4 less the 2 cm margins and the frame's 6 pt paddings.
CONTENT_WIDTH = A4[0] - 4 * cm - 12

_CENT = Decimal("0.01")


# --- Facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A creditor or a debtor: a name (or company name) and a postal address (several lines)."""

    name: str
    address: str


@dataclass(frozen=True)
class Instalment:
    """One payment of an agreed schedule."""

    due: date
    amount: Decimal

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("An instalment must be a positive amount.")


@dataclass(frozen=True)
class ClaimFacts:
    """What the documents state about a claim; the debtor's code only goes on the invitation."""

    reference: str
    office_name: str
    office_address: str
    officer_name: str
    creditor: Party
    debtor: Party
    basis: str  # "contractual" | "statutory"
    description: str
    principal: Decimal
    interest: Decimal
    filed_on: date
    invitation_sent_on: date | None = None
    answer_deadline: date | None = None
    public_url: str = ""
    identifier: str | None = None
    code: str | None = None

    def __post_init__(self) -> None:
        if self.basis not in BASIS_LABELS:
            raise ValueError(f"Unknown basis {self.basis!r}: expected one of {list(BASIS_LABELS)}.")
        if self.principal < 0 or self.interest < 0:
            raise ValueError("Principal and interest cannot be negative.")

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


# --- Formatting ------------------------------------------------------------------------------


def format_euros(amount: Decimal) -> str:
    """``amount`` written the French way: "1 234,56 €" (no-break spaces, two decimals)."""
    quantized = Decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if quantized < 0 else ""
    units, cents = f"{abs(quantized):.2f}".split(".")
    groups = []
    while len(units) > 3:
        groups.insert(0, units[-3:])
        units = units[:-3]
    groups.insert(0, units)
    return f"{sign}{NBSP.join(groups)},{cents}{NBSP}€"


def _french_datetime(moment: datetime) -> str:
    """An aware datetime in Paris wall-clock time: "16 mars 2026 à 14 h 05"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("An aware datetime is required.")
    local = moment.astimezone(PARIS)
    return f"{format_french_date(local.date())} à {local.hour} h {local.minute:02d}"


def _one_line(address: str) -> str:
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def access_url(f: ClaimFacts) -> str:
    """The address where the debtor answers online: the platform's address followed by /acces/."""
    return f.public_url.rstrip("/") + "/acces/"


def _check_schedule(amount: Decimal, instalments: Sequence[Instalment]) -> None:
    if amount <= 0:
        raise ValueError("The agreed amount must be positive.")
    if not instalments:
        raise ValueError("An agreement needs at least one instalment.")
    dues = [i.due for i in instalments]
    if dues != sorted(dues):
        raise ValueError("Instalments must be listed in chronological order.")
    total = sum((i.amount for i in instalments), Decimal(0))
    if total != amount:
        raise ValueError(f"The instalments add up to {total}, not to the agreed amount {amount}.")


# --- The invitation (R125-2) -----------------------------------------------------------------

# Parts of the letter: (kind, text). Kinds: "header" (shown in the letter's heading, not as body
# text), "subject", "p", "strong", "bullet", "amount" (label, amount), "heading", "article"
# (key), "note", "closing", "signoff", "box" (where the PDF puts the credentials; no text).
_Part = tuple[str, str | tuple[str, str]]


def _require_invitation_facts(f: ClaimFacts) -> tuple[date, date]:
    if f.invitation_sent_on is None or f.answer_deadline is None:
        raise ValueError("The invitation needs its sending date and its answer deadline.")
    if f.answer_deadline <= f.invitation_sent_on:
        raise ValueError("The answer deadline must come after the sending date.")
    return f.invitation_sent_on, f.answer_deadline


def _invitation_parts(f: ClaimFacts) -> list[_Part]:
    sent_on, deadline = _require_invitation_facts(f)
    sent = format_french_date(sent_on)
    until = format_french_date(deadline)
    online = (
        f"soit en ligne, à l'adresse {access_url(f)}, avec votre identifiant "
        f"{f.identifier} et votre code personnel confidentiel, qui figure uniquement sur "
        "l'exemplaire de la présente lettre adressé par courrier recommandé ;"
        if f.identifier
        else f"soit en ligne, à l'adresse {access_url(f)}, avec l'identifiant et le code "
        "personnel confidentiel qui figurent sur l'exemplaire de la présente lettre adressé par "
        "courrier recommandé ;"
    )
    parts: list[_Part] = [
        ("header", f"{f.officer_name}, commissaire de justice"),
        ("header", f"{f.office_name}, {_one_line(f.office_address)}"),
        ("header", f"Réf. dossier : {f.reference}"),
        ("header", f"Destinataire : {f.debtor.name}, {_one_line(f.debtor.address)}"),
        ("header", f"Date d'envoi : {sent}"),
        (
            "subject",
            "Objet : invitation à participer à une procédure simplifiée de recouvrement des "
            "petites créances, en application des articles L. 125-1 et R. 125-2 du code des "
            "procédures civiles d'exécution",
        ),
        ("p", "Madame, Monsieur,"),
        (
            "p",
            "En ma qualité de commissaire de justice, j'ai été mandaté le "
            f"{format_french_date(f.filed_on)} par {f.creditor.name}, "
            f"{_one_line(f.creditor.address)} (ci-après « le créancier »), afin de mettre en "
            "œuvre la procédure simplifiée de recouvrement des petites créances prévue à "
            "l'article L. 125-1 du code des procédures civiles d'exécution.",
        ),
        (
            "p",
            f"{f.creditor.name} m'indique être titulaire à votre encontre d'une "
            f"{BASIS_LABELS[f.basis]} d'un montant total de {format_euros(f.total)}, se "
            "composant comme suit :",
        ),
        ("amount", ("Montant en principal", format_euros(f.principal))),
        ("amount", ("Montant des intérêts", format_euros(f.interest))),
        ("amount", ("Total réclamé", format_euros(f.total))),
        ("p", f"Fondement et objet de la créance : {f.description}"),
        ("strong", "Vous êtes libre d'accepter ou de refuser de participer à cette procédure."),
        (
            "p",
            "Si vous acceptez de participer à cette procédure simplifiée de recouvrement, je vous "
            "invite à manifester votre accord dans les plus brefs délais et au plus tard dans un "
            f"délai d'un mois à compter de l'envoi de la présente lettre, le {sent}, "
            f"soit au plus tard le {until} :",
        ),
        ("bullet", online),
        (
            "bullet",
            "soit contre émargement de la présente lettre, par vous-même ou par toute personne "
            "que vous aurez spécialement mandatée à cet effet, auprès de l'étude du commissaire "
            "de justice dont les coordonnées figurent en tête de la présente lettre ;",
        ),
        (
            "bullet",
            "soit en écrivant au commissaire de justice, par l'envoi à l'étude, par courrier "
            "postal ou par voie électronique, du formulaire d'acceptation joint à la présente "
            "lettre.",
        ),
        ("box", ""),
        (
            "p",
            "Vous pouvez également refuser de participer à cette procédure, en ligne, par la "
            "remise ou l'envoi du formulaire de refus joint à la présente lettre ou par tout "
            "autre moyen manifestant votre refus.",
        ),
        (
            "strong",
            "Votre silence vaut refus : l'absence de réponse de votre part dans le délai d'un "
            f"mois à compter de l'envoi de la présente lettre, soit au plus tard le {until}, "
            "vaudra refus implicite de participer à cette procédure.",
        ),
        (
            "p",
            "En cas de refus exprès ou implicite, le créancier pourra saisir le juge afin "
            "d'obtenir un titre exécutoire à votre encontre.",
        ),
        (
            "p",
            "Si vous acceptez, je vous proposerai un accord sur le montant et les modalités du "
            "paiement, par exemple un paiement échelonné. Si le créancier et vous-même parvenez "
            "à un accord dans le délai d'un mois, je délivrerai un titre exécutoire constatant "
            "cet accord, qui permettra au créancier d'en poursuivre l'exécution forcée si les "
            "paiements convenus ne sont pas effectués. Votre accord pour participer à la "
            "procédure, constaté par le commissaire de justice, suspend la prescription "
            "(article 2238 du code civil).",
        ),
        (
            "strong",
            "Cette procédure est gratuite pour vous : les frais de toute nature qu'elle "
            "occasionne sont à la charge exclusive du créancier (article L. 125-1 du code des "
            "procédures civiles d'exécution).",
        ),
        (
            "p",
            "Votre premier accès à la plateforme vaut consentement à l'utilisation de la voie "
            "électronique pour les échanges relatifs à cette procédure (arrêté du 3 juin 2016). "
            "Votre code personnel est confidentiel : ne le communiquez qu'à la personne qui vous "
            "assiste ou vous représente. Il ne vous sera jamais demandé par courriel ni par "
            "téléphone.",
        ),
        (
            "closing",
            "Je vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.",
        ),
        ("signoff", f"{f.officer_name}, commissaire de justice"),
        ("heading", "Quels sont les textes applicables à cette procédure ?"),
        (
            "p",
            "Vous trouverez reproduits ci-dessous les textes applicables à la procédure "
            "simplifiée de recouvrement des petites créances (article R. 125-2 du code des "
            "procédures civiles d'exécution).",
        ),
        *(("article", key) for key in CPCE_TEXTS),
        ("note", PROFESSION_NOTE),
    ]
    return parts


def invitation_text(f: ClaimFacts) -> list[str]:
    """The invitation as plain French paragraphs, e.g. for an electronic message.

    It never contains the debtor's personal code, which is printed only on the PDF sent by
    registered post; it gives the identifier (not secret) when there is one. The reproduced
    texts come last, each introduced by its article's name.
    """
    paragraphs: list[str] = []
    for kind, value in _invitation_parts(f):
        if kind == "box":
            continue
        if kind == "amount":
            label, amount = value  # type: ignore[misc]
            paragraphs.append(f"– {label} : {amount}")
        elif kind == "bullet":
            paragraphs.append(f"– {value}")
        elif kind == "article":
            key = str(value)
            paragraphs.append(CPCE_TEXT_TITLES[key])
            paragraphs.extend(CPCE_TEXTS[key].split("\n"))
        else:
            paragraphs.append(str(value))
    return paragraphs


# --- PDF building blocks ---------------------------------------------------------------------

# French typography: a no-break space before the high punctuation and inside the guillemets, so
# that a line never starts with ":", ";", "?", "!" or "»".
_FRENCH_PAIRS = (
    (" :", NBSP + ":"),
    (" ;", NBSP + ";"),
    (" ?", NBSP + "?"),
    (" !", NBSP + "!"),
    ("« ", "«" + NBSP),
    (" »", NBSP + "»"),
)


def _french_spacing(value: str) -> str:
    for plain, bound in _FRENCH_PAIRS:
        value = value.replace(plain, bound)
    return value


class _Kit:
    """Fonts, styles and small paragraph builders shared by the three documents.

    Bold runs use an explicit ``<font face=...>`` rather than ``<b>``: the DejaVu faces are not
    registered as a reportlab font family, and registering one here would change, process-wide,
    how other documents of the platform render.
    """

    def __init__(self) -> None:
        self.fonts = pdfkit.fonts()
        self.styles = pdfkit.styles(self.fonts)
        base = self.styles["base"]
        body = self.styles["body"]
        self.styles.update(
            {
                "plain": ParagraphStyle("plain", parent=base, spaceAfter=6),
                "bold": ParagraphStyle("bold", parent=body, fontName=self.fonts.bold),
                "formula": ParagraphStyle(
                    "formula", parent=base, fontName=self.fonts.bold, fontSize=10.5, leading=15
                ),
                "bullet": ParagraphStyle(
                    "bullet", parent=base, leftIndent=14, bulletIndent=4, spaceAfter=3
                ),
                "heading": ParagraphStyle(
                    "heading",
                    parent=base,
                    fontName=self.fonts.bold,
                    fontSize=11.5,
                    leading=15,
                    spaceBefore=10,
                    spaceAfter=6,
                ),
                "article_title": ParagraphStyle(
                    "article_title",
                    parent=base,
                    fontName=self.fonts.bold,
                    fontSize=9.5,
                    leading=12.5,
                    spaceBefore=6,
                    spaceAfter=2,
                ),
                "article": ParagraphStyle(
                    "article", parent=self.styles["small"], leftIndent=10, spaceAfter=2
                ),
                "centered": ParagraphStyle(
                    "centered", parent=base, fontName=self.fonts.bold, alignment=TA_CENTER
                ),
                "subtitle": ParagraphStyle(
                    "subtitle", parent=self.styles["small"], alignment=TA_CENTER, spaceAfter=10
                ),
            }
        )

    def text(self, value: str) -> str:
        """``value`` made drawable, XML-escaped and spaced the French way."""
        return pdfkit.printable(_french_spacing(value), self.fonts)

    def bold(self, escaped: str) -> str:
        return f'<font face="{self.fonts.bold}">{escaped}</font>'

    def p(self, value: str, style: str = "body") -> Paragraph:
        return Paragraph(self.text(value), self.styles[style])

    def markup(self, markup: str, style: str = "body") -> Paragraph:
        """A paragraph from markup whose variable parts were already passed through ``text``."""
        return Paragraph(markup, self.styles[style])

    def multiline(self, value: str, style: str = "base") -> Paragraph:
        return Paragraph(pdfkit.lines(_french_spacing(value), self.fonts), self.styles[style])

    def party(self, party: Party, style: str = "base") -> Paragraph:
        return Paragraph(
            f"{self.bold(self.text(party.name))}<br/>{pdfkit.lines(party.address, self.fonts)}",
            self.styles[style],
        )

    def sender(self, f: ClaimFacts) -> Paragraph:
        return Paragraph(
            f"{self.bold(self.text(f.office_name))}<br/>"
            f"{pdfkit.lines(f.office_address, self.fonts)}<br/>"
            f"{self.text(f.officer_name)}, commissaire de justice",
            self.styles["small"],
        )

    def cells(self, rows: Sequence[Sequence[str]]) -> list[list[str]]:
        """Plain table cells (drawn as-is, so no escaping): made drawable only."""
        return [[pdfkit.substitute(cell, self.fonts) for cell in row] for row in rows]

    def rows(self, rows: Iterable[tuple[str, str]]) -> Table:
        """A two-column table of labelled facts (values may span several lines)."""
        return Table(
            [[self.p(label, "label"), self.multiline(value)] for label, value in rows],
            colWidths=[4.6 * cm, CONTENT_WIDTH - 4.6 * cm],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#BBBBBB")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            ),
        )

    def amounts(self, rows: Sequence[tuple[str, str]]) -> Table:
        """Labels on the left, amounts right-aligned; the last row (a total) in bold."""
        return Table(
            self.cells(rows),
            colWidths=[7.0 * cm, 3.6 * cm],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("FONTNAME", (0, 0), (-1, -1), self.fonts.regular),
                    ("FONTNAME", (0, -1), (-1, -1), self.fonts.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 10),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            ),
        )

    def schedule(self, amount: Decimal, instalments: Sequence[Instalment]) -> Table:
        """The agreed schedule: number, due date, amount, then the total (equal to ``amount``)."""
        _check_schedule(amount, instalments)
        head = ["N°", "Échéance", "Montant"]
        body = [
            [str(n), format_french_date(i.due), format_euros(i.amount)]
            for n, i in enumerate(instalments, start=1)
        ]
        total = ["", "Total", format_euros(amount)]
        return Table(
            self.cells([head, *body, total]),
            colWidths=[1.4 * cm, 5.2 * cm, 3.6 * cm],
            hAlign="LEFT",
            repeatRows=1,
            style=TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.fonts.regular),
                    ("FONTNAME", (0, 0), (-1, 0), self.fonts.bold),
                    ("FONTNAME", (0, -1), (-1, -1), self.fonts.bold),
                    ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                    ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                    (
                        "ROWBACKGROUNDS",
                        (0, 1),
                        (-1, -2),
                        [colors.white, colors.HexColor("#F4F4F4")],
                    ),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
                ]
            ),
        )

    def boxed(self, flowables: list[Flowable]) -> Table:
        return Table(
            [[flowables]],
            colWidths=[CONTENT_WIDTH],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            ),
        )

    def side_by_side(self, left: Flowable, right: Flowable) -> Table:
        half = CONTENT_WIDTH / 2
        return Table(
            [[left, right]],
            colWidths=[half, half],
            hAlign="LEFT",
            style=TableStyle(
                [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            ),
        )

    def signature_block(
        self, f: ClaimFacts, done_on: date, what: str, lead: Sequence[Flowable] = ()
    ) -> KeepTogether:
        """The closing lines, kept together with the free room the visible signature needs.

        The room (``SIGNATURE_ROOM``) is the last flowable of the story, so the last line of
        text always ends above the stamp that PAdES signing draws at the bottom of the last
        page.
        """
        return KeepTogether(
            [
                *lead,
                Spacer(1, 0.3 * cm),
                self.p(f"Fait le {format_french_date(done_on)}.", "base"),
                Spacer(1, 0.2 * cm),
                self.markup(
                    f"Le commissaire de justice, {self.bold(self.text(f.officer_name))}<br/>"
                    f"{self.text(f.office_name)}",
                    "base",
                ),
                self.p(
                    f"{what} est signé électroniquement par le commissaire de justice au moyen "
                    "d'un certificat électronique qualifié ; le cachet de signature figure en bas "
                    "de la dernière page.",
                    "small",
                ),
                Spacer(1, SIGNATURE_ROOM),
            ]
        )


def _build(
    story: list[Flowable],
    *,
    title: str,
    f: ClaimFacts,
    dated: datetime,
    footer_label: str,
) -> bytes:
    """Lay ``story`` out on A4 with the house margins, metadata and a footer on every page."""
    return pdfkit.build_a4(
        story,
        title=title,
        author=f.office_name,
        subject=f.reference,
        footer=f"{f.office_name} — {footer_label} — Réf. {f.reference}",
        dated=dated,
        footer_size=7.5,
        footer_y=FOOTER_Y,
    )


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=PARIS)


def _capitalized(value: str) -> str:
    return value[:1].upper() + value[1:]


def _claim_rows(f: ClaimFacts) -> list[tuple[str, str]]:
    rows = [
        ("Dossier", f.reference),
        ("Créancier", f"{f.creditor.name}\n{f.creditor.address}"),
        ("Débiteur", f"{f.debtor.name}\n{f.debtor.address}"),
        ("Fondement", _capitalized(BASIS_LABELS[f.basis])),
        ("Objet de la créance", f.description),
        ("Principal", format_euros(f.principal)),
        ("Intérêts", format_euros(f.interest)),
        ("Total réclamé", format_euros(f.total)),
        ("Demande reçue le", format_french_date(f.filed_on)),
    ]
    if f.invitation_sent_on is not None:
        rows.append(("Invitation envoyée le", format_french_date(f.invitation_sent_on)))
    if f.answer_deadline is not None:
        rows.append(("Fin du délai d'un mois", format_french_date(f.answer_deadline)))
    return rows


# --- Invitation PDF --------------------------------------------------------------------------


def render_invitation_pdf(f: ClaimFacts) -> bytes:
    """The invitation letter (R125-2) with the credentials boxed, then the two answer forms.

    Requires the sending date, the answer deadline, the platform address, the identifier and the
    code: this PDF is the only place where the code is ever written.
    """
    sent_on, deadline = _require_invitation_facts(f)
    if not (f.public_url and f.identifier and f.code):
        raise ValueError("The invitation needs the platform address, the identifier and the code.")
    kit = _Kit()
    story: list[Flowable] = [
        kit.side_by_side(kit.sender(f), kit.party(f.debtor)),
        Spacer(1, 0.5 * cm),
        kit.p(f"Réf. dossier : {f.reference}", "base"),
        kit.p(f"Le {format_french_date(sent_on)}", "base"),
        kit.p("Lettre recommandée avec demande d'avis de réception", "label"),
        Spacer(1, 0.3 * cm),
    ]
    amount_rows: list[tuple[str, str]] = []
    # The reproduced texts, laid out after the letter in groups kept together (KeepTogether
    # cannot be nested: an inner one always looks too tall to the outer one).
    texts: list[list[Flowable]] = []
    for kind, value in _invitation_parts(f):
        if kind != "amount" and amount_rows:
            story += [kit.amounts(amount_rows), Spacer(1, 0.15 * cm)]
            amount_rows = []
        if kind == "header":
            continue
        if kind == "amount":
            amount_rows.append(value)  # type: ignore[arg-type]
        elif kind in ("subject", "strong"):
            story.append(kit.p(str(value), "bold"))
        elif kind == "p":
            # After the heading, paragraphs belong to the section of the reproduced texts.
            (texts[-1] if texts else story).append(kit.p(str(value)))
        elif kind == "bullet":
            story.append(Paragraph(kit.text(str(value)), kit.styles["bullet"], bulletText="–"))
        elif kind == "box":
            story += [Spacer(1, 0.15 * cm), _credentials_box(kit, f, deadline), Spacer(1, 0.3 * cm)]
        elif kind == "closing":
            story += [Spacer(1, 0.2 * cm), kit.p(str(value))]
        elif kind == "signoff":
            story.append(kit.markup(kit.bold(kit.text(str(value))), "base"))
        elif kind == "heading":
            texts.append([Spacer(1, 0.4 * cm), kit.p(str(value), "heading")])
        elif kind == "article":
            key = str(value)
            block: list[Flowable] = [kit.p(CPCE_TEXT_TITLES[key], "article_title")]
            block += [kit.p(alinea, "article") for alinea in CPCE_TEXTS[key].split("\n")]
            texts.append(block)
        elif kind == "note":
            texts[-1] += [Spacer(1, 0.2 * cm), kit.p(str(value), "small")]
    # The heading and its introduction stay with the first article; the note with the last one.
    if len(texts) > 1:
        texts[:2] = [texts[0] + texts[1]]
    story += [KeepTogether(group) for group in texts]
    story += [PageBreak(), *_answer_forms(kit, f, deadline)]
    return _build(
        story,
        title=INVITATION_TITLE,
        f=f,
        dated=_midnight(sent_on),
        footer_label="Invitation à participer à la procédure",
    )


def _credentials_box(kit: _Kit, f: ClaimFacts, deadline: date) -> KeepTogether:
    """The boxed block of the online answer: address, identifier, personal code."""
    table = Table(
        [
            [
                kit.p("Répondre en ligne", "label"),
                kit.p(f"au plus tard le {format_french_date(deadline)}", "base"),
            ],
            [kit.p("Adresse", "label"), kit.p(access_url(f), "url")],
            [kit.p("Identifiant", "label"), kit.p(str(f.identifier), "identifier")],
            [kit.p("Code personnel", "label"), kit.p(str(f.code), "code")],
        ],
        colWidths=[4.4 * cm, CONTENT_WIDTH - 4.4 * cm],
        hAlign="LEFT",
        style=TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2")),
                ("LINEBELOW", (0, 0), (-1, 2), 0.4, colors.HexColor("#9A9A9A")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        ),
    )
    return KeepTogether([table])


def _answer_forms(kit: _Kit, f: ClaimFacts, deadline: date) -> list[Flowable]:
    """The acceptance and refusal forms that accompany the letter (R125-2 III)."""
    until = format_french_date(deadline)
    office = f"{f.office_name}, {_one_line(f.office_address)}"

    def form(title: str, statement: str, advice: str) -> Table:
        return kit.boxed(
            [
                kit.p(title, "heading"),
                kit.p(f"À remettre ou à renvoyer à : {office}", "plain"),
                kit.p(f"Réf. dossier : {f.reference}", "plain"),
                kit.p(f"Débiteur : {f.debtor.name}, {_one_line(f.debtor.address)}", "plain"),
                kit.p(f"Créancier : {f.creditor.name}", "plain"),
                kit.p(statement, "bold"),
                kit.p(advice, "small"),
                Spacer(1, 0.3 * cm),
                kit.p(
                    "Fait à ............................................, le "
                    "........................................",
                    "base",
                ),
                Spacer(1, 0.3 * cm),
                kit.p("Signature :", "base"),
                Spacer(1, 1.6 * cm),
            ]
        )

    return [
        form(
            "Formulaire d'acceptation",
            "Je soussigné(e) déclare accepter de participer à la procédure simplifiée de "
            "recouvrement des petites créances mise en œuvre à la demande du créancier "
            "ci-dessus désigné.",
            f"Votre accord doit être manifesté au plus tard le {until}. Un courrier postal peut "
            "mettre plusieurs jours à parvenir à l'étude : vous pouvez aussi répondre en ligne "
            "ou vous présenter à l'étude.",
        ),
        Spacer(1, 0.8 * cm),
        form(
            "Formulaire de refus",
            "Je soussigné(e) déclare refuser de participer à la procédure simplifiée de "
            "recouvrement des petites créances mise en œuvre à la demande du créancier "
            "ci-dessus désigné.",
            "Vous pouvez aussi manifester votre refus en ligne ou par tout autre moyen. Sans "
            f"réponse de votre part au plus tard le {until}, votre silence vaudra refus.",
        ),
    ]


# --- Record of the end of the procedure (R125-5) ---------------------------------------------


def _officer_intro(kit: _Kit, f: ClaimFacts) -> str:
    """ "Nous, <officer>, commissaire de justice, <office>, à qui <creditor> a demandé, le ...,
    de mettre en œuvre la procédure ..." (markup)."""
    return (
        f"Nous, {kit.bold(kit.text(f.officer_name))}, commissaire de justice, "
        f"{kit.text(f.office_name)}, {kit.text(_one_line(f.office_address))}, à qui "
        f"{kit.text(f.creditor.name)} a demandé, le {kit.text(format_french_date(f.filed_on))}, "
        "de mettre en œuvre la procédure simplifiée de recouvrement des petites créances prévue "
        "à l'article L. 125-1 du code des procédures civiles d'exécution,"
    )


def render_record_pdf(
    f: ClaimFacts,
    outcome: str,
    closed_at: datetime,
    detail: str,
    agreement: tuple[Decimal, list[Instalment]] | None,
) -> bytes:
    """The officer's written record that the procedure ended, and why (R125-5 1° to 4°).

    ``outcome`` is a key of ``OUTCOME_LABELS``; ``agreement`` (amount, schedule) is required for
    "agreement" and refused for the other outcomes. ``detail`` is printed as the officer's
    remarks when not empty. The bottom of the last page is left free for the visible signature.
    """
    if outcome not in OUTCOME_LABELS:
        raise ValueError(f"Unknown outcome {outcome!r}: expected one of {list(OUTCOME_LABELS)}.")
    if outcome == "agreement" and agreement is None:
        raise ValueError("An agreement record needs the agreed amount and schedule.")
    if outcome != "agreement" and agreement is not None:
        raise ValueError("Only an agreement has an agreed amount and schedule.")
    when = _french_datetime(closed_at)
    kit = _Kit()
    label = f"{OUTCOME_NUMBERS[outcome]} {_capitalized(OUTCOME_LABELS[outcome])}"
    story: list[Flowable] = [
        kit.sender(f),
        Spacer(1, 0.4 * cm),
        kit.p("Procès-verbal de fin de procédure", "title"),
        kit.p(
            "Procédure simplifiée de recouvrement des petites créances — article R. 125-5 du "
            "code des procédures civiles d'exécution",
            "subtitle",
        ),
        kit.markup(
            f"{_officer_intro(kit, f)} constatons que cette procédure a pris fin le "
            f"{kit.text(when)} (heure de Paris), pour le motif suivant{NBSP}:"
        ),
        Spacer(1, 0.1 * cm),
        kit.boxed([kit.p(label, "label")]),
        Spacer(1, 0.3 * cm),
    ]
    if detail.strip():
        story += [kit.p("Précisions", "label"), kit.multiline(detail, "body")]
    story += [kit.p("La créance", "heading"), kit.rows(_claim_rows(f))]
    if agreement is not None:
        amount, instalments = agreement
        story += [
            KeepTogether(
                [
                    kit.p("L'accord", "heading"),
                    kit.p(
                        "Le créancier et le débiteur se sont accordés sur le paiement de la somme "
                        f"de {format_euros(amount)}, selon l'échéancier suivant :"
                    ),
                    kit.schedule(amount, instalments),
                ]
            ),
            Spacer(1, 0.3 * cm),
            kit.p(
                "Le titre exécutoire constatant cet accord est délivré par acte séparé, sans "
                "autre formalité (article L. 125-1 du code des procédures civiles d'exécution)."
            ),
        ]
    else:
        story.append(
            KeepTogether(
                [
                    kit.p("Suites", "heading"),
                    kit.p(
                        "La procédure simplifiée de recouvrement n'ayant pas abouti à un accord, "
                        "le créancier peut saisir le juge afin d'obtenir un titre exécutoire."
                    ),
                    kit.p(
                        "Prescription : lorsque le débiteur avait accepté de participer à la "
                        "procédure, la prescription, suspendue à compter de son accord constaté "
                        "par le commissaire de justice, recommence à courir à compter de la "
                        "présente constatation, pour une durée qui ne peut être inférieure à six "
                        "mois (article 2238 du code civil)."
                    ),
                ]
            )
        )
    story.append(
        kit.signature_block(f, closed_at.astimezone(PARIS).date(), "Le présent procès-verbal")
    )
    return _build(
        story,
        title=RECORD_TITLE,
        f=f,
        dated=closed_at,
        footer_label="Procès-verbal de fin de procédure",
    )


# --- Executory title (L125-1) ----------------------------------------------------------------


def render_title_pdf(
    f: ClaimFacts, amount: Decimal, instalments: list[Instalment], agreed_at: datetime
) -> bytes:
    """The executory title the officer issues on agreement (L125-1), ending with the formula.

    The instalments must be in chronological order and add up exactly to ``amount``. The bottom
    of the last page is left free for the visible qualified signature (arrêté du 3 juin 2016).
    """
    _check_schedule(amount, instalments)
    when = _french_datetime(agreed_at)
    kit = _Kit()
    invited = (
        "Vu l'invitation à participer à la procédure adressée au débiteur le "
        f"{format_french_date(f.invitation_sent_on)} ;"
        if f.invitation_sent_on is not None
        else "Vu l'invitation à participer à la procédure adressée au débiteur ;"
    )
    story: list[Flowable] = [
        kit.sender(f),
        Spacer(1, 0.4 * cm),
        *(kit.p(line, "centered") for line in ENFORCEMENT_HEADING),
        kit.p("Titre exécutoire", "title"),
        kit.p(
            "délivré en application des articles L. 111-3, 5°, et L. 125-1 du code des procédures "
            "civiles d'exécution — procédure simplifiée de recouvrement des petites créances",
            "subtitle",
        ),
        kit.p(f"Réf. dossier : {f.reference}", "base"),
        Spacer(1, 0.2 * cm),
        kit.markup(f"{_officer_intro(kit, f)} entre{NBSP}:"),
        kit.side_by_side(
            kit.markup(
                f"{kit.bold('Créancier')}<br/>{kit.text(f.creditor.name)}<br/>"
                f"{pdfkit.lines(f.creditor.address, kit.fonts)}",
                "base",
            ),
            kit.markup(
                f"{kit.bold('Débiteur')}<br/>{kit.text(f.debtor.name)}<br/>"
                f"{pdfkit.lines(f.debtor.address, kit.fonts)}",
                "base",
            ),
        ),
        Spacer(1, 0.3 * cm),
        kit.p(invited),
        kit.p(
            f"Vu la créance invoquée par le créancier, {BASIS_LABELS[f.basis]} "
            f"({f.description.strip().rstrip('.')}), d'un montant total de "
            f"{format_euros(f.total)}, soit "
            f"{format_euros(f.principal)} en principal et {format_euros(f.interest)} "
            "d'intérêts ;"
        ),
        KeepTogether(
            [
                kit.p(
                    "Constatons l'accord du créancier et du débiteur, recueilli le "
                    f"{when} (heure de Paris), sur le montant et les modalités du paiement, aux "
                    "termes duquel le débiteur paiera au créancier la somme de "
                    f"{format_euros(amount)} selon l'échéancier suivant :",
                    "bold",
                ),
                kit.schedule(amount, instalments),
            ]
        ),
        Spacer(1, 0.3 * cm),
        kit.p(
            "En conséquence de cet accord, délivrons le présent titre exécutoire, sans autre "
            "formalité, conformément à l'article L. 125-1 du code des procédures civiles "
            "d'exécution."
        ),
        kit.p(R125_8_NOTE, "small"),
        Spacer(1, 0.2 * cm),
        kit.signature_block(
            f,
            agreed_at.astimezone(PARIS).date(),
            "Le présent titre",
            lead=[
                kit.boxed([kit.p(ENFORCEMENT_FORMULA, "formula")]),
                Spacer(1, 0.2 * cm),
                kit.p(
                    "En foi de quoi, le présent titre exécutoire a été signé par "
                    f"{f.officer_name}, commissaire de justice, au moyen d'un certificat "
                    "électronique qualifié."
                ),
            ],
        ),
    ]
    return _build(
        story,
        title=TITLE_TITLE,
        f=f,
        dated=agreed_at,
        footer_label="Titre exécutoire",
    )
