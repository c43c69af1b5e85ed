"""The words of the procedure: titles, outcome labels (pages and PDFs), reproduced texts."""

from __future__ import annotations

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
