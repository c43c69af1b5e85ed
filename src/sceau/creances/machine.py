"""The Petites créances procedure as one explicit state machine.

Every transition is a function here: it checks who acts, that the claim is in a state the
transition leaves from, and the rule of the texts; then it changes the claim and writes its
journal entry in one transaction. A refused transition raises ``TransitionRefused`` (HTTP 409)
and changes nothing.

    requested --mandate--> mandated --record_invitation--> invited
    requested --decline--> declined
    invited --accept--> accepted --propose--> accepted (+ open proposal)
    invited --refuse, or silence at the deadline--> refused
    accepted --both parties accept the proposal--> agreed
    refused | accepted | agreed --record_outcome--> closed (signed record; title on agreement)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sceau.core import clock
from sceau.core.dates import add_months, paris_date, procedural_deadline
from sceau.core.errors import InvalidInput, PermissionDenied
from sceau.creances import procedure, rules
from sceau.creances.events import CreancesEvent
from sceau.creances.models import Claim, Proposal
from sceau.creances.procedure import (  # the states, also read as machine.X by callers
    ACCEPTED,
    AGREED,
    CLOSED,
    DECLINED,
    INVITED,
    MANDATED,
    REFUSED,
    REQUESTED,
    STATE_LABELS,
    STATES,
    TransitionRefused,
)
from sceau.identity.models import Office, User
from sceau.journal.cases import CaseRef
from sceau.journal.models import JournalEntry
from sceau.journal.services import Actor, record

__all__ = [
    "ACCEPTED",
    "AGREED",
    "CLOSED",
    "DECLINED",
    "INVITED",
    "MANDATED",
    "REFUSED",
    "REQUESTED",
    "STATES",
    "STATE_LABELS",
    "TransitionRefused",
]

REFUSED_PARTICIPATION = "refused_participation"
NO_AGREEMENT_IN_TIME = "no_agreement_in_time"
TERMS_REFUSED = "terms_refused"
AGREEMENT = "agreement"
OUTCOMES = (REFUSED_PARTICIPATION, NO_AGREEMENT_IN_TIME, TERMS_REFUSED, AGREEMENT)


class Ineligible(InvalidInput):
    code = "ineligible_claim"


def _rules() -> dict:
    return rules.load_rules(settings.CONFIG.pc_rules)


def _today() -> date:
    return clock.today()


def _next(claim: Claim, event: str, *, doing: str) -> str:
    """Where ``event`` leads the claim, by the procedure's table (refused otherwise)."""
    return procedure.transition(claim.state, event, doing=doing)


def record_claim(actor: Actor, claim: Claim, action: str, details: dict) -> JournalEntry:
    """The journal entry of an operation on ``claim`` (its office), in the caller's transaction."""
    return record(
        actor,
        action,
        object_kind="claim",
        object_id=claim.pk,
        office_id=claim.office_id,
        case=CaseRef.claim(claim.pk),
        details=details,
    )


def _log(actor: Actor, claim: Claim, action: CreancesEvent, **details) -> int:
    return record_claim(actor, claim, action, {"state": claim.state, **details}).index


def officer_actor(user: User) -> Actor:
    return Actor.officer(user)


def party_actor(claim: Claim, party: str) -> Actor:
    """The journal actor of a party: a creditor is their user account (never the claim's pk);
    a debtor has no account, so the claim stands for them."""
    if party == "creditor":
        if claim.creditor_user is not None:
            return Actor.creditor(claim.creditor_user)
        return Actor.creditor_without_account(claim.creditor_name)
    if party == "debtor":
        return Actor.debtor(claim.pk, claim.debtor_name)
    raise ValueError(f"a claim's party is the creditor or the debtor, not {party!r}")


def money(value: str | Decimal, label: str) -> Decimal:
    """A euro amount given as a decimal string, at most two decimals, not negative."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(
            f"{label} : « {value} » n'est pas un montant (ex. « 1250.00 »)."
        ) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{label} : un montant positif en euros, deux décimales au plus.")
    return amount.quantize(Decimal("0.01"))


# --- 1. request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimInput:
    creditor_name: str
    creditor_address: str
    debtor_name: str
    debtor_address: str
    debtor_postal_code: str
    basis: str
    description: str
    principal: str | Decimal
    interest: str | Decimal
    creditor_email: str = ""
    debtor_email: str = ""


def department_of(postal_code: str) -> str:
    code = postal_code.strip().replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        raise InvalidInput("Le code postal du débiteur a cinq chiffres.")
    if code.startswith("97"):
        return code[:3]
    if code.startswith("20"):  # Corsica: 2A below 20200, 2B from 20200
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def file_claim(filer: User, office: Office, data: ClaimInput, creditor_user: User | None) -> Claim:
    """The creditor (or an officer on their behalf) files a claim with an office."""
    today = _today()
    for value, label in (
        (data.creditor_name, "le nom du créancier"),
        (data.creditor_address, "l'adresse du créancier"),
        (data.debtor_name, "le nom du débiteur"),
        (data.debtor_address, "l'adresse du débiteur"),
        (data.description, "le fondement et la description de la créance"),
    ):
        if not (value or "").strip():
            raise InvalidInput(f"Indiquez {label}.")
    if data.basis not in (Claim.CONTRACTUAL, Claim.STATUTORY):
        raise Ineligible(
            "La procédure simplifiée ne vaut que pour une créance d'origine contractuelle ou "
            "résultant d'une obligation de caractère statutaire (CPCE L125-1) : indiquez "
            "« contractual » ou « statutory »."
        )
    principal = money(data.principal, "Principal")
    interest = money(data.interest, "Intérêts")
    if principal <= 0:
        raise InvalidInput("Le principal doit être supérieur à zéro.")
    limit = rules.ceiling(_rules(), today)
    if principal + interest > limit:
        raise Ineligible(
            f"Principal et intérêts ({principal + interest} €) dépassent le plafond de "
            f"{limit} € en vigueur le {today:%d/%m/%Y} (CPCE R125-1) : la procédure simplifiée "
            "n'est pas ouverte ; saisissez le juge."
        )
    department = department_of(data.debtor_postal_code)
    if department not in office.department_codes():
        raise Ineligible(
            f"{office.name} n'est pas établie dans le ressort de la cour d'appel du domicile du "
            f"débiteur (département {department}) : choisissez une étude de ce ressort."
        )
    with transaction.atomic():
        claim = Claim.objects.create(
            office=office,
            creditor_user=creditor_user,
            creditor_name=data.creditor_name.strip(),
            creditor_address=data.creditor_address.strip(),
            creditor_email=data.creditor_email.strip(),
            filed_by=filer,
            filed_on=today,
            debtor_name=data.debtor_name.strip(),
            debtor_address=data.debtor_address.strip(),
            debtor_postal_code=data.debtor_postal_code.strip(),
            debtor_email=data.debtor_email.strip(),
            basis=data.basis,
            description=data.description.strip(),
            principal=principal,
            interest=interest,
        )
        who = officer_actor(filer) if filer.is_officer else Actor.creditor(filer)
        _log(
            who,
            claim,
            CreancesEvent.CLAIM_FILED,
            principal=str(principal),
            interest=str(interest),
            basis=data.basis,
        )
    return claim


# --- 2. mandate ----------------------------------------------------------------------------


def _officer_of(user: User, claim: Claim) -> None:
    if not user.is_officer or user.office_id != claim.office_id:
        raise PermissionDenied("Seul un commissaire de justice de l'étude saisie peut agir ici.")


def decide_mandate(user: User, claim: Claim, accept: bool, reason: str) -> Claim:
    _officer_of(user, claim)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        target = _next(
            claim,
            procedure.ACCEPT_MANDATE if accept else procedure.DECLINE_MANDATE,
            doing="statuer sur le mandat",
        )
        if not accept and not (reason or "").strip():
            raise InvalidInput("Indiquez au créancier la raison du refus du mandat.")
        claim.state = target
        claim.officer = user if accept else None
        claim.decision_reason = (reason or "").strip()
        claim.save(update_fields=["state", "officer", "decision_reason"])
        _log(
            officer_actor(user),
            claim,
            CreancesEvent.CLAIM_MANDATE_ACCEPTED
            if accept
            else CreancesEvent.CLAIM_MANDATE_DECLINED,
            reason=claim.decision_reason,
        )
    return claim


# --- 3. invitation -------------------------------------------------------------------------


def answer_deadline(sent_on: date) -> date:
    """One month after sending, calendar month to month, off weekends and holidays (CPC 641-642)."""
    return procedural_deadline(sent_on, 1)


def record_invitation(user: User, claim: Claim, sent_on: date, channel: str) -> Claim:
    """The officer records when the invitation was sent; the answer deadline follows."""
    _officer_of(user, claim)
    if channel not in ("post", "email"):
        raise InvalidInput("Canal d'envoi : « post » (lettre recommandée) ou « email ».")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        target = _next(claim, procedure.INVITE, doing="enregistrer l'envoi de l'invitation")
        if sent_on > _today() or sent_on < claim.filed_on:
            raise InvalidInput(
                "La date d'envoi doit se situer entre le dépôt de la demande et aujourd'hui."
            )
        claim.state = target
        claim.invitation_sent_on = sent_on
        claim.invitation_channel = channel
        claim.answer_deadline = answer_deadline(sent_on)
        claim.save(
            update_fields=["state", "invitation_sent_on", "invitation_channel", "answer_deadline"]
        )
        _log(
            officer_actor(user),
            claim,
            CreancesEvent.CLAIM_INVITED,
            sent_on=sent_on.isoformat(),
            channel=channel,
            deadline=claim.answer_deadline.isoformat(),
        )
    return claim


# --- 4. the debtor's answer ----------------------------------------------------------------


def debtor_answer(claim: Claim, accept: bool) -> Claim:
    """Accept or refuse to take part, before the deadline (R125-2)."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        target = _next(
            claim,
            procedure.DEBTOR_ACCEPTS if accept else procedure.DEBTOR_REFUSES,
            doing="répondre à l'invitation",
        )
        if _today() > claim.answer_deadline:
            raise TransitionRefused(
                f"Le délai de réponse a expiré le {claim.answer_deadline:%d/%m/%Y} : le silence "
                "vaut refus de participer."
            )
        claim.state = target
        claim.answered_at = timezone.now()
        claim.save(update_fields=["state", "answered_at"])
        claim.journal_index = _log(
            Actor.debtor(claim.pk, claim.debtor_name),
            claim,
            CreancesEvent.CLAIM_DEBTOR_ACCEPTED if accept else CreancesEvent.CLAIM_DEBTOR_REFUSED,
        )
    return claim


def silence_candidates(today: date | None = None) -> list[int]:
    """Claims whose answer deadline has passed without an answer."""
    today = today or _today()
    return list(
        Claim.objects.filter(state=INVITED, answer_deadline__lt=today).values_list("pk", flat=True)
    )


def apply_silence_to(pk: int, today: date | None = None) -> Claim | None:
    """Silence at the deadline is refusal (R125-2), for one claim, in the caller's transaction;
    None if the claim was answered meanwhile. The entry's index is ``claim.journal_index``."""
    today = today or _today()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("office").get(pk=pk)
        if claim.state != INVITED or claim.answer_deadline >= today:
            return None
        claim.state = procedure.transition(claim.state, procedure.SILENCE, doing="constater")
        claim.save(update_fields=["state"])
        claim.journal_index = _log(
            Actor.system("sceau worker"),
            claim,
            CreancesEvent.CLAIM_SILENCE_AS_REFUSAL,
            deadline=claim.answer_deadline.isoformat(),
        )
    return claim


# --- 5. negotiation ------------------------------------------------------------------------


def _instalments(amount: Decimal, items: list[dict]) -> list[dict]:
    if not items:
        raise InvalidInput("Indiquez au moins une échéance (date et montant).")
    out, total, last = [], Decimal("0"), None
    for n, item in enumerate(items, 1):
        try:
            due = date.fromisoformat(str(item["due"]))
        except (KeyError, ValueError):
            raise InvalidInput(f"Échéance {n} : date AAAA-MM-JJ attendue.") from None
        value = money(item.get("amount", ""), f"Échéance {n}")
        if value <= 0:
            raise InvalidInput(f"Échéance {n} : le montant doit être supérieur à zéro.")
        if last is not None and due <= last:
            raise InvalidInput(f"Échéance {n} : les dates doivent se suivre.")
        if due < _today():
            raise InvalidInput(f"Échéance {n} : la date est passée.")
        last = due
        total += value
        out.append({"due": due.isoformat(), "amount": str(value)})
    if total != amount:
        raise TransitionRefused(
            f"Les échéances totalisent {total} € alors que le montant proposé est {amount} € : "
            "corrigez-les."
        )
    return out


def propose(user: User, claim: Claim, amount: str | Decimal, instalments: list[dict]) -> Proposal:
    """The officer proposes an agreement; an open earlier proposal is superseded."""
    _officer_of(user, claim)
    value = money(amount, "Montant")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        _next(claim, procedure.PROPOSE, doing="proposer un accord")
        if _today() > claim.answer_deadline:
            raise TransitionRefused(
                "Le délai d'un mois a expiré sans accord : enregistrez la fin de la procédure."
            )
        if value <= 0 or value > claim.total:
            raise TransitionRefused(
                f"Le montant proposé doit être compris entre 0 et la créance ({claim.total} €)."
            )
        schedule = _instalments(value, instalments)
        claim.proposals.filter(status=Proposal.OPEN).update(status=Proposal.SUPERSEDED)
        proposal = Proposal.objects.create(claim=claim, amount=value, instalments=schedule)
        proposal.journal_index = _log(
            officer_actor(user),
            claim,
            CreancesEvent.CLAIM_PROPOSED,
            proposal=proposal.pk,
            amount=str(value),
            instalments=len(schedule),
        )
    return proposal


def answer_proposal(claim: Claim, party: str, accept: bool) -> Proposal:
    """The creditor or the debtor accepts or refuses the open proposal."""
    if party not in ("creditor", "debtor"):
        raise InvalidInput("party: creditor ou debtor.")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        _next(claim, procedure.ANSWER_PROPOSAL, doing="répondre à la proposition")
        proposal = claim.proposals.filter(status=Proposal.OPEN).order_by("-pk").first()
        if proposal is None:
            raise TransitionRefused("Aucune proposition n'attend de réponse.")
        if getattr(proposal, f"{party}_answer") is not None:
            raise TransitionRefused("Vous avez déjà répondu à cette proposition.")
        setattr(proposal, f"{party}_answer", accept)
        setattr(proposal, f"{party}_answered_at", timezone.now())
        if not accept:
            proposal.status = Proposal.REFUSED
        elif proposal.creditor_answer and proposal.debtor_answer:
            proposal.status = Proposal.ACCEPTED
            claim.state = _next(claim, procedure.AGREEMENT_REACHED, doing="conclure l'accord")
            claim.save(update_fields=["state"])
        proposal.save()
        proposal.journal_index = _log(
            party_actor(claim, party),
            claim,
            CreancesEvent.CLAIM_PROPOSAL_ACCEPTED
            if accept
            else CreancesEvent.CLAIM_PROPOSAL_REFUSED,
            proposal=proposal.pk,
        )
    return proposal


# --- 6. end --------------------------------------------------------------------------------


def allowed_outcome(claim: Claim) -> str | None:
    """The outcome the facts support now, or None if the procedure cannot end yet."""
    if claim.state == REFUSED:
        return REFUSED_PARTICIPATION
    if claim.state == AGREED:
        return AGREEMENT
    if claim.state == ACCEPTED:
        last = claim.proposals.order_by("-pk").first()
        if last is not None and last.status == Proposal.REFUSED:
            return TERMS_REFUSED
        if _today() > claim.answer_deadline:
            return NO_AGREEMENT_IN_TIME
    return None


def close(user: User, claim: Claim, outcome: str) -> Claim:
    """Record the end (R125-5); the signed record and title are attached by the service."""
    _officer_of(user, claim)
    if outcome not in OUTCOMES:
        raise InvalidInput(
            "Issue : refused_participation, no_agreement_in_time, terms_refused ou agreement."
        )
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        target = _next(claim, procedure.CLOSE, doing="enregistrer la fin de la procédure")
        supported = allowed_outcome(claim)
        if outcome != supported:
            raise TransitionRefused(
                "Les faits enregistrés ne permettent pas cette issue"
                + (
                    f" ; l'issue constatée est « {supported} »."
                    if supported
                    else " pour l'instant."
                )
            )
        claim.state = target
        claim.outcome = outcome
        claim.closed_at = timezone.now()
        claim.save(update_fields=["state", "outcome", "closed_at"])
        _log(officer_actor(user), claim, CreancesEvent.CLAIM_CLOSED, outcome=outcome)
    return claim


# --- limitation (Civil Code 2238) ----------------------------------------------------------


def limitation(claim: Claim) -> dict:
    """Dates to show: suspension from acceptance, running again at least six months after."""
    out: dict = {"suspended_from": None, "runs_again_from": None, "at_least_until": None}
    if (
        claim.answered_at
        and claim.state in (ACCEPTED, AGREED, CLOSED)
        and (
            claim.state != CLOSED
            or claim.outcome in (NO_AGREEMENT_IN_TIME, TERMS_REFUSED, AGREEMENT)
        )
    ):
        out["suspended_from"] = paris_date(claim.answered_at)
    if claim.state == CLOSED and claim.outcome in (NO_AGREEMENT_IN_TIME, TERMS_REFUSED):
        start = paris_date(claim.closed_at)
        out["runs_again_from"] = start
        out["at_least_until"] = add_months(start, 6)
    return out
