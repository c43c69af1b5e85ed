"""Petites créances: the creditor's, the officer's and the debtor's operations."""

from __future__ import annotations

import base64
from datetime import date
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from sceau.api.schemas import FILE_PROPERTY, ErrorOut, multipart_body
from sceau.core.errors import Conflict, InvalidInput, NotFound
from sceau.core.files import file_response
from sceau.creances import machine, services
from sceau.creances.models import Claim
from sceau.identity.auth import AccountBearer, HolderBearer, principal_for
from sceau.identity.models import Office, User
from sceau.identity.proxy import client_address

router = Router(tags=["Petites créances"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _claim(request: HttpRequest, claim_id: int) -> Claim:
    """The claim an account may reach; a creditor's first access through the API is their
    consent to electronic exchange, as on the pages (recorded by the service)."""
    claim = services.get_claim(request.auth, claim_id)
    if request.auth.role == User.CREDITOR:
        services.record_first_access(claim, "creditor", client_address(request))
    return claim


class PartyIn(Schema):
    name: str = Field(max_length=300)
    address: str = Field(max_length=1000)
    email: str = Field(default="", max_length=254)
    postal_code: str = Field(default="", max_length=10)


class ClaimIn(Schema):
    debtor: PartyIn
    basis: Literal["contractual", "statutory"] | str
    description: str = Field(max_length=5000)
    principal: str
    interest: str
    creditor: PartyIn | None = None  # required when an officer files on a creditor's behalf
    office_id: int | None = None  # required when a creditor files


class InstalmentIO(Schema):
    due: date
    amount: str


class ProposalOut(Schema):
    id: int
    amount: str
    instalments: list[InstalmentIO]
    status: str
    creditor_answer: bool | None
    debtor_answer: bool | None


class FeeOut(Schema):
    label: str
    amount: str


class ClaimOut(Schema):
    id: int
    reference: str
    state: str
    state_label: str
    next_step: str
    office: str
    creditor: str
    debtor: str
    basis: str
    description: str
    principal: str
    interest: str
    total: str
    filed_on: date
    invitation_sent_on: date | None
    answer_deadline: date | None
    outcome: str
    proposals: list[ProposalOut]
    limitation: dict
    fees: list[FeeOut] | None = None
    fees_checked: bool | None = None


def claim_out(claim: Claim, *, for_creditor: bool) -> dict:
    out = {
        "id": claim.pk,
        "reference": claim.reference,
        "state": claim.state,
        "state_label": machine.STATE_LABELS[claim.state],
        "next_step": services.next_step(claim),
        "office": claim.office.name,
        "creditor": claim.creditor_name,
        "debtor": claim.debtor_name,
        "basis": claim.basis,
        "description": claim.description,
        "principal": str(claim.principal),
        "interest": str(claim.interest),
        "total": str(claim.total),
        "filed_on": claim.filed_on,
        "invitation_sent_on": claim.invitation_sent_on,
        "answer_deadline": claim.answer_deadline,
        "outcome": claim.outcome,
        "proposals": [
            {
                "id": p.pk,
                "amount": str(p.amount),
                "instalments": p.instalments,
                "status": p.status,
                "creditor_answer": p.creditor_answer,
                "debtor_answer": p.debtor_answer,
            }
            for p in claim.proposals.all()
        ],
        "limitation": {
            k: v.isoformat() if v else None for k, v in machine.limitation(claim).items()
        },
    }
    if for_creditor:  # costs are the creditor's alone; the debtor pays nothing
        fees, checked = services.fees_for(claim)
        out["fees"] = [{"label": f.label, "amount": str(f.amount)} for f in fees]
        out["fees_checked"] = checked
    return out


@router.post("/claims", auth=AccountBearer(), response={201: ClaimOut, **ERRORS})
def file_claim(request: HttpRequest, payload: ClaimIn):
    """File a claim: a creditor (with `office_id`) or an officer on a creditor's behalf
    (with `creditor`). Eligibility is checked and explained."""
    user: User = request.auth
    if user.is_officer:
        if payload.creditor is None:
            raise InvalidInput(
                "Un commissaire de justice qui dépose pour un créancier indique "
                "« creditor » {name, address}."
            )
        office, creditor, creditor_user = user.office, payload.creditor, None
    else:
        office = Office.objects.filter(pk=payload.office_id).first()
        if office is None:
            raise InvalidInput("Indiquez « office_id », l'étude que vous mandatez.")
        creditor = PartyIn(
            name=user.full_name,
            address=(payload.creditor.address if payload.creditor else ""),
            email=user.email,
        )
        creditor_user = user
    claim = machine.file_claim(
        user,
        office,
        machine.ClaimInput(
            creditor_name=creditor.name,
            creditor_address=creditor.address,
            creditor_email=creditor.email,
            debtor_name=payload.debtor.name,
            debtor_address=payload.debtor.address,
            debtor_postal_code=payload.debtor.postal_code,
            debtor_email=payload.debtor.email,
            basis=payload.basis,
            description=payload.description,
            principal=payload.principal,
            interest=payload.interest,
        ),
        creditor_user,
    )
    return Status(201, claim_out(claim, for_creditor=True))


@router.get("/claims", auth=AccountBearer(), response={200: list[ClaimOut], **ERRORS})
def list_claims(request: HttpRequest):
    return [claim_out(c, for_creditor=True) for c in services.claims_for(request.auth)[:500]]


@router.get("/claims/{claim_id}", auth=AccountBearer(), response={200: ClaimOut, **ERRORS})
def get_claim(request: HttpRequest, claim_id: int):
    return claim_out(_claim(request, claim_id), for_creditor=True)


class MandateIn(Schema):
    accept: bool
    reason: str = ""


@router.post("/claims/{claim_id}/mandate", auth=AccountBearer(), response={200: ClaimOut, **ERRORS})
def mandate(request: HttpRequest, claim_id: int, payload: MandateIn):
    claim = _claim(request, claim_id)
    claim = machine.decide_mandate(request.auth, claim, payload.accept, payload.reason)
    return claim_out(claim, for_creditor=True)


class InvitationIn(Schema):
    sent_on: date
    channel: Literal["post", "email"] | str = "post"


class InvitationOut(Schema):
    identifier: str
    code: str
    deadline: date
    invitation_pdf_base64: str


@router.post(
    "/claims/{claim_id}/invitation", auth=AccountBearer(), response={200: InvitationOut, **ERRORS}
)
def invitation(request: HttpRequest, claim_id: int, payload: InvitationIn):
    """Record the sending; answers the debtor's identifier and code (once) and the deadline."""
    claim = _claim(request, claim_id)
    sent = services.invite(request.auth, claim, payload.sent_on, payload.channel)
    return {
        "identifier": sent.identifier,
        "code": sent.code,
        "deadline": sent.claim.answer_deadline,
        "invitation_pdf_base64": base64.b64encode(sent.pdf).decode(),
    }


class ProposalIn(Schema):
    amount: str
    instalments: list[dict] = Field(max_length=120)


@router.post(
    "/claims/{claim_id}/proposal", auth=AccountBearer(), response={201: ProposalOut, **ERRORS}
)
def proposal(request: HttpRequest, claim_id: int, payload: ProposalIn):
    claim = _claim(request, claim_id)
    p = services.propose(request.auth, claim, payload.amount, payload.instalments)
    return Status(
        201,
        {
            "id": p.pk,
            "amount": str(p.amount),
            "instalments": p.instalments,
            "status": p.status,
            "creditor_answer": None,
            "debtor_answer": None,
        },
    )


class AnswerIn(Schema):
    accept: bool


@router.post(
    "/claims/{claim_id}/proposal/answer", auth=AccountBearer(), response={200: ClaimOut, **ERRORS}
)
def creditor_answer(request: HttpRequest, claim_id: int, payload: AnswerIn):
    """The creditor accepts or refuses the officer's proposal."""
    claim = _claim(request, claim_id)
    if request.auth.role != User.CREDITOR:
        raise NotFound("Seul le créancier répond ici à la proposition.")
    services.answer_proposal(claim, "creditor", payload.accept)
    claim.refresh_from_db()
    return claim_out(claim, for_creditor=True)


class OutcomeIn(Schema):
    outcome: (
        Literal["refused_participation", "no_agreement_in_time", "terms_refused", "agreement"] | str
    )
    signing_secret: str = Field(max_length=200)


@router.post("/claims/{claim_id}/outcome", auth=AccountBearer(), response={200: ClaimOut, **ERRORS})
def outcome(request: HttpRequest, claim_id: int, payload: OutcomeIn):
    """The officer records the end; the record (and, on agreement, the executory title) are
    signed with their certificate: `signing_secret` is its passphrase or PIN (never stored)."""
    claim = _claim(request, claim_id)
    claim = services.record_outcome(request.auth, claim, payload.outcome, payload.signing_secret)
    return claim_out(claim, for_creditor=True)


def _pdf(data, name: str) -> HttpResponse:
    if not data:
        raise Conflict("Ce document n'existe pas encore à cette étape de la procédure.")
    return file_response(bytes(data), name=name, media_type="application/pdf")


@router.get("/claims/{claim_id}/title", auth=AccountBearer(), response={200: None, **ERRORS})
def title(request: HttpRequest, claim_id: int):
    """The executory title, signed (PAdES) by the officer."""
    claim = _claim(request, claim_id)
    return _pdf(claim.title_pdf, f"titre-executoire-{claim.reference}.pdf")


@router.get("/claims/{claim_id}/record", auth=AccountBearer(), response={200: None, **ERRORS})
def end_record(request: HttpRequest, claim_id: int):
    claim = _claim(request, claim_id)
    return _pdf(claim.record_pdf, f"proces-verbal-{claim.reference}.pdf")


class MessageIn(Schema):
    text: str = Field(max_length=5000)
    counter_amount: str | None = None


@router.post("/claims/{claim_id}/messages", auth=AccountBearer(), response={201: dict, **ERRORS})
def message(request: HttpRequest, claim_id: int, payload: MessageIn):
    claim = _claim(request, claim_id)
    m = services.post_message(
        principal_for(request), claim, payload.text, counter_amount=payload.counter_amount
    )
    return Status(201, {"id": m.pk})


# --- the debtor (after POST /api/v1/access/login) ------------------------------------------


@router.get("/access/claims", auth=HolderBearer(), response={200: list[ClaimOut], **ERRORS})
def debtor_claims(request: HttpRequest):
    """The debtor's claim (free of charge for them: no fees shown)."""
    return [claim_out(services.claim_for_credential(request.auth), for_creditor=False)]


class DecisionIn(Schema):
    decision: Literal["accept", "refuse"] | str


@router.post(
    "/access/claims/{claim_id}/answer", auth=HolderBearer(), response={200: ClaimOut, **ERRORS}
)
def debtor_answer(request: HttpRequest, claim_id: int, payload: DecisionIn):
    """Accept or refuse to take part, before the deadline."""
    claim = services.debtor_claim(request.auth, claim_id)
    return claim_out(services.debtor_answer(claim, payload.decision), for_creditor=False)


@router.post(
    "/access/claims/{claim_id}/proposal/answer",
    auth=HolderBearer(),
    response={200: ClaimOut, **ERRORS},
)
def debtor_proposal_answer(request: HttpRequest, claim_id: int, payload: AnswerIn):
    claim = services.debtor_claim(request.auth, claim_id)
    services.answer_proposal(claim, "debtor", payload.accept)
    claim.refresh_from_db()
    return claim_out(claim, for_creditor=False)


@router.get("/access/claims/{claim_id}/title", auth=HolderBearer(), response={200: None, **ERRORS})
def debtor_title(request: HttpRequest, claim_id: int):
    claim = services.debtor_claim(request.auth, claim_id)
    return _pdf(claim.title_pdf, f"titre-executoire-{claim.reference}.pdf")


@router.post(
    "/access/claims/{claim_id}/messages", auth=HolderBearer(), response={201: dict, **ERRORS}
)
def debtor_message(request: HttpRequest, claim_id: int, payload: MessageIn):
    claim = services.debtor_claim(request.auth, claim_id)
    m = services.post_message(
        principal_for(request), claim, payload.text, counter_amount=payload.counter_amount
    )
    return Status(201, {"id": m.pk})


ATTACHMENT_BODY = multipart_body(["file", "text"], file=FILE_PROPERTY, text={"type": "string"})


def _attachment(request: HttpRequest, claim: Claim) -> dict:
    from sceau.vault.uploads import single_upload

    upload = single_upload(request)
    m = services.post_message(
        principal_for(request),
        claim,
        request.POST.get("text", ""),
        sealed=upload.sealed,
        file_name=upload.name,
    )
    return {"id": m.pk, "file_name": m.file_name, "sha256": upload.sealed.sha256}


@router.post(
    "/claims/{claim_id}/attachments",
    auth=AccountBearer(),
    response={201: dict, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    openapi_extra=ATTACHMENT_BODY,
)
def attachment(request: HttpRequest, claim_id: int):
    """A message with a file (PDF, PNG, JPEG), encrypted and fingerprinted by the vault."""
    return Status(201, _attachment(request, _claim(request, claim_id)))


@router.post(
    "/access/claims/{claim_id}/attachments",
    auth=HolderBearer(),
    response={201: dict, 413: ErrorOut, 415: ErrorOut, **ERRORS},
    openapi_extra=ATTACHMENT_BODY,
)
def debtor_attachment(request: HttpRequest, claim_id: int):
    claim = services.debtor_claim(request.auth, claim_id)
    return Status(201, _attachment(request, claim))


class CodeOut(Schema):
    identifier: str
    code: str


@router.post(
    "/claims/{claim_id}/credentials", auth=AccountBearer(), response={201: CodeOut, **ERRORS}
)
def reissue_code(request: HttpRequest, claim_id: int):
    """A new code for the debtor (the previous one stops working); shown only here."""
    claim = _claim(request, claim_id)
    issued = services.reissue_debtor_code(request.auth, claim)
    return Status(201, {"identifier": issued.identifier, "code": issued.code})
