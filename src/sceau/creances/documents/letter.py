"""The invitation letter's paragraphs (R125-2), shared by the PDF and the e-mail."""

from __future__ import annotations

from datetime import date

from sceau.core.dates import format_french_date

from .facts import ClaimFacts, _one_line, access_url, format_euros
from .texts import BASIS_LABELS, CPCE_TEXT_TITLES, CPCE_TEXTS, PROFESSION_NOTE

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
