"""Petites créances operations around the state machine: credentials, letters, signatures,
notices, messages, fees, and who may see which claim."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet

from sceau.core.errors import Gone, NotFound, PermissionDenied, SceauError
from sceau.creances import documents, machine, policy, rules
from sceau.creances.events import CreancesEvent
from sceau.creances.models import Claim, Consent, Message, Proposal
from sceau.identity import services as identity
from sceau.identity.access import access_url
from sceau.identity.models import AccessCredential, User
from sceau.identity.principals import CREDITOR, DEBTOR, OFFICER, Principal
from sceau.journal.cases import CaseRef
from sceau.journal.models import JournalEntry
from sceau.journal.services import Actor, record

HOLDER_KIND = "creances.claim"  # the credential holders of this app (holders.py registers them)
CONSENT_TEXT = (
    "En accédant pour la première fois à la plateforme Petites créances, vous acceptez que les "
    "échanges de cette procédure (invitation, propositions, messages, procès-verbal et, en cas "
    "d'accord, titre exécutoire) se fassent par voie électronique sur cette plateforme. Chaque "
    "document mis à votre disposition et chaque consultation donnent lieu à un avis horodaté. "
    "Vous pouvez toujours écrire au commissaire de justice par courrier. (Arrêté du 3 juin 2016, "
    "le premier accès emporte consentement à l'utilisation de la voie électronique.)"
)


# --- who sees what -------------------------------------------------------------------------


def claims_for(user: User) -> QuerySet[Claim]:
    if user.is_officer:
        return Claim.objects.filter(office_id=user.office_id)
    if user.role == User.CREDITOR:
        return Claim.objects.filter(creditor_user=user)
    return Claim.objects.none()


def get_claim(user: User, claim_id: int) -> Claim:
    claim = claims_for(user).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("Cette créance n'existe pas ou ne vous concerne pas.")
    return claim


def claim_for_credential(credential: AccessCredential) -> Claim:
    if credential.holder_kind != HOLDER_KIND:
        raise NotFound("Ces identifiants ne donnent pas accès à une créance.")
    return Claim.objects.select_related("office").get(pk=credential.holder_id)


def debtor_claim(credential: AccessCredential, claim_id: int) -> Claim:
    claim = claim_for_credential(credential)
    if claim.pk != claim_id:
        raise NotFound("Cette créance n'existe pas ou ne vous concerne pas.")
    return claim


# --- facts for the letters -----------------------------------------------------------------


def facts(claim: Claim, issued: identity.IssuedCredential | None = None) -> documents.ClaimFacts:
    officer = claim.officer
    return documents.ClaimFacts(
        reference=claim.reference,
        office_name=claim.office.name,
        office_address=claim.office.address,
        officer_name=officer.full_name if officer else "",
        creditor=documents.Party(claim.creditor_name, claim.creditor_address),
        debtor=documents.Party(claim.debtor_name, claim.debtor_address),
        basis=claim.basis,
        description=claim.description,
        principal=claim.principal,
        interest=claim.interest,
        filed_on=claim.filed_on,
        invitation_sent_on=claim.invitation_sent_on,
        answer_deadline=claim.answer_deadline,
        public_url=settings.CONFIG.public_url,
        identifier=issued.identifier if issued else None,
        code=issued.code if issued else None,
    )


# --- notices -------------------------------------------------------------------------------


def _notify(
    claim: Claim,
    party: str,
    kind: str,
    index: int,
    detail: str,
    document_name: str | None = None,
    document: bytes | None = None,
    document_sha256: str | None = None,
) -> None:
    from sceau.notary.notices import NoticeFacts
    from sceau.notary.services import create_notice

    entry = JournalEntry.objects.get(index=index)
    create_notice(
        NoticeFacts(
            kind=kind,
            office=claim.office.name,
            dossier_id=claim.pk,
            dossier_reference=claim.reference,
            recipient_id=claim.pk,
            recipient_name=claim.creditor_name if party == "creditor" else claim.debtor_name,
            event_time=entry.recorded_at,
            journal_index=index,
            detail=detail,
            document_id=claim.pk if (document is not None or document_sha256) else None,
            document_name=document_name,
            document_sha256=document_sha256
            or (hashlib.sha256(document).hexdigest() if document else None),
            context="creances",
            party=party,
            case=CaseRef.claim(claim.pk),
        ),
        claim.office_id,
    )


# --- invitation ----------------------------------------------------------------------------


@dataclass
class Invitation:
    claim: Claim
    identifier: str
    code: str
    pdf: bytes


class MailUnavailable(SceauError):
    status = 503
    code = "mail_unavailable"


def _send_invitation_emails(claim: Claim, issued: identity.IssuedCredential) -> None:
    """Two messages: the link and identifier, then the code alone (never both together).

    Sent inside the invitation's transaction: if the mail server refuses, nothing is recorded
    and the officer is told to retry.
    """
    try:
        link = access_url(settings.CONFIG.public_url)
        # Never the code and the link in the same message.
        send_mail(
            f"Petites créances — invitation {claim.reference}",
            f"{claim.office.name} vous invite à participer à une procédure simplifiée de "
            f"recouvrement. Rendez-vous sur {link} avec l'identifiant {issued.identifier} ; "
            "votre code personnel vous parvient dans un message séparé. Vous avez jusqu'au "
            f"{claim.answer_deadline:%d/%m/%Y} pour répondre ; le silence vaut refus.",
            None,
            [claim.debtor_email],
        )
        send_mail(
            f"Petites créances — votre code personnel ({claim.reference})",
            f"Votre code personnel : {issued.code}. Il est confidentiel.",
            None,
            [claim.debtor_email],
        )
    except OSError as exc:
        raise MailUnavailable(
            "Le message électronique n'a pas pu être envoyé : rien n'a été enregistré. "
            "Réessayez, ou choisissez l'envoi par lettre recommandée."
        ) from exc


def invite(user: User, claim: Claim, sent_on: date, channel: str) -> Invitation:
    """Record the sending, issue the debtor's credentials, produce the letter (R125-2)."""
    if channel == "email" and not claim.debtor_email:
        raise machine.InvalidInput(
            "Pour un envoi électronique, indiquez l'adresse électronique "
            "du débiteur ; sinon choisissez la lettre recommandée."
        )
    with transaction.atomic():
        claim = machine.record_invitation(user, claim, sent_on, channel)
        _, issued = identity.issue_credential(HOLDER_KIND, claim.pk)
        pdf = documents.render_invitation_pdf(facts(claim, issued))
        index = machine.record_claim(
            machine.officer_actor(user),
            claim,
            CreancesEvent.INVITATION_ISSUED,
            {
                "identifier": issued.identifier,
                "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            },
        ).index
        _notify(
            claim, "debtor", "provision", index, "invitation à participer", "invitation.pdf", pdf
        )
        if channel == "email":
            _send_invitation_emails(claim, issued)

    return Invitation(claim, issued.identifier, issued.code, pdf)


# --- first access as consent ---------------------------------------------------------------


def has_consented(claim: Claim, party: str) -> bool:
    return Consent.objects.filter(claim=claim, party=party).exists()


def record_first_access(claim: Claim, party: str, client_ip: str) -> bool:
    """Record the party's consent if this is their first access, whatever the channel (a page,
    the API, OpenID Connect); True if it was."""
    if has_consented(claim, party):
        return False
    return record_access(claim, party, client_ip)


def record_access(claim: Claim, party: str, client_ip: str) -> bool:
    """A party enters; the first time is their consent to electronic exchange. True if first."""
    with transaction.atomic():
        first = not Consent.objects.filter(claim=claim, party=party).exists()
        entry = machine.record_claim(
            machine.party_actor(claim, party),
            claim,
            CreancesEvent.PARTY_FIRST_ACCESS if first else CreancesEvent.PARTY_ACCESS,
            {"ip": client_ip, "party": party},
        )
        if first:
            Consent.objects.create(
                claim=claim,
                party=party,
                at=entry.recorded_at,
                journal_index=entry.index,
                shown_text_sha256=hashlib.sha256(CONSENT_TEXT.encode()).hexdigest(),
            )
            _notify(
                claim, party, "first_access", entry.index, "consentement à la voie électronique"
            )
    return first


# --- answers and negotiation ---------------------------------------------------------------


def debtor_answer(claim: Claim, decision: str) -> Claim:
    """The debtor's answer to the invitation: the change, its journal entry and the notices to
    both parties in one transaction (the notices name the entry the answer wrote)."""
    if decision not in ("accept", "refuse"):
        raise machine.InvalidInput("decision : « accept » ou « refuse ».")
    with transaction.atomic():
        claim = machine.debtor_answer(claim, decision == "accept")
        what = "accepte" if decision == "accept" else "refuse"
        for party in ("creditor", "debtor"):
            _notify(claim, party, "event", claim.journal_index, f"le débiteur {what} de participer")
    return claim


def apply_silence(today: date | None = None) -> int:
    """Silence at the deadline is refusal, with notices to both sides: each claim's refusal
    and its notices commit together (a crash leaves no refused claim without its notices)."""
    done = 0
    for pk in machine.silence_candidates(today):
        with transaction.atomic():
            claim = machine.apply_silence_to(pk, today)
            if claim is None:
                continue
            for party in ("creditor", "debtor"):
                _notify(
                    claim,
                    party,
                    "event",
                    claim.journal_index,
                    "silence du débiteur à l'échéance : refus de participer",
                )
        done += 1
    return done


def propose(user: User, claim: Claim, amount, instalments: list[dict]) -> Proposal:
    """The officer's proposal, noticed to both parties."""
    with transaction.atomic():
        proposal = machine.propose(user, claim, amount, instalments)
        index = proposal.journal_index
        for party in ("creditor", "debtor"):
            _notify(
                claim,
                party,
                "event",
                index,
                f"proposition d'accord : {proposal.amount} € en "
                f"{len(proposal.instalments)} échéance(s)",
            )
    return proposal


def answer_proposal(claim: Claim, party: str, accept: bool) -> Proposal:
    """A party's answer to the proposal, noticed to both parties."""
    with transaction.atomic():
        proposal = machine.answer_proposal(claim, party, accept)
        index = proposal.journal_index
        who = "le créancier" if party == "creditor" else "le débiteur"
        for each in ("creditor", "debtor"):
            _notify(
                claim,
                each,
                "event",
                index,
                f"{who} {'accepte' if accept else 'refuse'} la proposition d'accord",
            )
    return proposal


def reissue_debtor_code(user: User, claim: Claim) -> identity.IssuedCredential:
    """A new code for the debtor (the old one is revoked), e.g. when a letter went astray."""
    machine._officer_of(user, claim)
    if claim.state in (machine.REQUESTED, machine.MANDATED, machine.DECLINED):
        raise machine.TransitionRefused("Le débiteur n'a pas encore été invité.")
    with transaction.atomic():
        _, issued = identity.issue_credential(HOLDER_KIND, claim.pk)
        machine.record_claim(
            machine.officer_actor(user),
            claim,
            CreancesEvent.CREDENTIAL_REISSUED,
            {"identifier": issued.identifier},
        )
    return issued


def author_of(principal: Principal, claim: Claim) -> tuple[str, str, Actor]:
    """(kind, name, journal actor) of whoever acts on the claim: decided here from the
    authenticated principal, never from strings the caller chose."""
    if principal.kind == OFFICER and principal.office_id == claim.office_id:
        return "officer", principal.user.full_name, Actor.officer(principal.user)
    if principal.kind == CREDITOR:
        return "creditor", principal.user.full_name, Actor.creditor(principal.user)
    if principal.kind == DEBTOR and principal.holder is not None:
        if principal.holder.pk == claim.pk:
            return "debtor", claim.debtor_name, machine.party_actor(claim, "debtor")
    raise PermissionDenied("Vous n'êtes pas partie à cette procédure.")


def consult_attachment(principal: Principal, claim: Claim, message_id: int):
    """Open the file of one of the claim's messages: journaled, and noticed to the party.

    Returns (message, chunks): the file is checked before the first byte is sent (whole when
    small, then re-hashed as it streams); an integrity failure is journaled and refused.
    """
    from sceau.vault.services import open_checked

    message = claim.messages.select_related("blob").filter(pk=message_id, blob__isnull=False)
    message = message.first()
    if message is None:
        raise NotFound("Cette pièce jointe n'existe pas ou ne vous concerne pas.")
    if message.blob.destroyed:
        raise Gone("Cette pièce jointe a été supprimée : demandez-en une copie à l'étude.")
    party, _, actor = author_of(principal, claim)

    def failed(detail: str) -> None:  # journaled like a Mes Pièces document's failure
        with transaction.atomic():
            record(
                actor,
                CreancesEvent.ATTACHMENT_INTEGRITY_FAILED,
                object_kind="message",
                object_id=message.pk,
                office_id=claim.office_id,
                case=CaseRef.claim(claim.pk),
                details={"sha256": message.blob.sha256, "detail": detail[:200]},
            )

    chunks = open_checked(message.blob, failed)  # refused before the first byte if damaged
    with transaction.atomic():
        entry = record(
            actor,
            CreancesEvent.ATTACHMENT_CONSULTED,
            object_kind="message",
            object_id=message.pk,
            office_id=claim.office_id,
            case=CaseRef.claim(claim.pk),
            details={"claim": claim.pk, "sha256": message.blob.sha256},
        )
        if party in ("creditor", "debtor"):
            _notify(
                claim,
                party,
                "consultation",
                entry.index,
                f"consultation de la pièce jointe « {message.file_name} »",
                message.file_name,
                document_sha256=message.blob.sha256,
            )
    return message, chunks


def post_message(
    principal: Principal,
    claim: Claim,
    text: str,
    *,
    counter_amount: str | None = None,
    counter_instalments: list | None = None,
    sealed=None,
    file_name: str = "",
) -> Message:
    """A message (or counter-proposal) through the officer; a file goes through the vault."""
    author_kind, author_name, actor = author_of(principal, claim)
    from sceau.vault.formats import display_name
    from sceau.vault.services import save_sealed

    if not (text or "").strip():
        raise machine.InvalidInput("Écrivez un message.")
    amount = machine.money(counter_amount, "Contre-proposition") if counter_amount else None
    with transaction.atomic():
        # The state as stored now, not as the caller last read it.
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if not policy.can_message(claim):
            raise machine.TransitionRefused(
                "Les messages sont ouverts de l'invitation à la fin de la procédure."
            )
        blob = save_sealed(sealed) if sealed is not None else None
        message = Message.objects.create(
            claim=claim,
            author_kind=author_kind,
            author_name=author_name,
            text=text.strip(),
            counter_amount=amount,
            counter_instalments=counter_instalments,
            blob=blob,
            file_name=display_name(file_name, sealed.media_type) if sealed else "",
        )
        record(
            actor,
            CreancesEvent.MESSAGE_POSTED,
            object_kind="message",
            object_id=message.pk,
            office_id=claim.office_id,
            case=CaseRef.claim(claim.pk),
            details={
                "claim": claim.pk,
                "counter": str(amount) if amount else None,
                "file_sha256": sealed.sha256 if sealed else None,
            },
        )
    return message


# --- the end: signed record and executory title --------------------------------------------


def record_outcome(user: User, claim: Claim, outcome: str, signing_secret: str) -> Claim:
    """Close with one of the four outcomes (R125-5): a signed record; on agreement the
    executory title signed with the officer's certificate (L125-1), both timestamped."""
    from sceau.notary.services import sign_document

    with transaction.atomic():
        claim = machine.close(user, claim, outcome)
        agreement = None
        proposal = None
        if outcome == machine.AGREEMENT:
            proposal = claim.proposals.get(status=Proposal.ACCEPTED)
            agreement = (
                proposal.amount,
                [
                    documents.Instalment(date.fromisoformat(i["due"]), Decimal(i["amount"]))
                    for i in proposal.instalments
                ],
            )
        record_pdf = documents.render_record_pdf(
            facts(claim), outcome, claim.closed_at, machine.STATE_LABELS[machine.CLOSED], agreement
        )
        claim.record_pdf = sign_document(
            user,
            record_pdf,
            signing_secret,
            reason="Procès-verbal de fin de procédure (R125-5)",
            location=claim.office.name,
        )
        fields = ["record_pdf"]
        if agreement is not None:
            title = documents.render_title_pdf(
                facts(claim),
                agreement[0],
                agreement[1],
                proposal.debtor_answered_at or claim.closed_at,
            )
            claim.title_pdf = sign_document(
                user,
                title,
                signing_secret,
                reason="Titre exécutoire (CPCE L125-1)",
                location=claim.office.name,
            )
            fields.append("title_pdf")
        claim.save(update_fields=fields)
        index = machine.record_claim(
            machine.officer_actor(user),
            claim,
            CreancesEvent.CLAIM_DOCUMENTS_SIGNED,
            {
                "record_sha256": hashlib.sha256(claim.record_pdf).hexdigest(),
                "title_sha256": hashlib.sha256(claim.title_pdf).hexdigest()
                if claim.title_pdf
                else None,
            },
        ).index
        for party in ("creditor", "debtor"):
            _notify(
                claim,
                party,
                "provision",
                index,
                "procès-verbal de fin de procédure",
                "proces-verbal.pdf",
                bytes(claim.record_pdf),
            )
            if claim.title_pdf:
                _notify(
                    claim,
                    party,
                    "provision",
                    index,
                    "titre exécutoire",
                    "titre-executoire.pdf",
                    bytes(claim.title_pdf),
                )
    return claim


# --- what the creditor pays, and when limitation runs --------------------------------------


def fees_for(claim: Claim) -> tuple[list[rules.Fee], bool]:
    return rules.fees(rules.load_rules(settings.CONFIG.pc_rules), claim.filed_on, claim.total)


def next_step(claim: Claim) -> str:
    """One sentence: what happens next and by when."""
    s = claim.state
    if s == machine.REQUESTED:
        return "L'étude doit accepter ou refuser le mandat."
    if s == machine.MANDATED:
        return "Le commissaire de justice envoie l'invitation au débiteur."
    if s == machine.INVITED and machine._today() > claim.answer_deadline:
        return (
            f"Le délai de réponse a expiré le {claim.answer_deadline:%d/%m/%Y} : le silence "
            "du débiteur vaut refus ; le constat est enregistré automatiquement."
        )
    if s == machine.INVITED:
        return (
            f"Le débiteur a jusqu'au {claim.answer_deadline:%d/%m/%Y} pour accepter ; "
            "son silence à cette date vaudra refus."
        )
    if s == machine.ACCEPTED:
        return (
            f"Le commissaire de justice propose un accord ; sans accord au "
            f"{claim.answer_deadline:%d/%m/%Y}, la procédure prendra fin."
        )
    if s == machine.REFUSED:
        return (
            "Le commissaire de justice dresse le procès-verbal de refus ; le créancier pourra "
            "saisir le juge."
        )
    if s == machine.AGREED:
        return "Le commissaire de justice signe le titre exécutoire et le remet aux parties."
    if s == machine.CLOSED:
        return (
            "Procédure terminée : le procès-verbal (et le titre, s'il y a accord) sont disponibles."
        )
    return "Mandat refusé : choisissez une autre étude."
