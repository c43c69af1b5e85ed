"""What the Petites créances pages need around the services: who is asking, the officer's
queue, the creditor's registration with its verification email, notices as rows, PDFs."""

from __future__ import annotations

import functools
import json
import smtplib
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect

from sceau.core.errors import Conflict, SceauError
from sceau.core.files import file_response
from sceau.creances import machine, policy, services
from sceau.creances.events import CreancesEvent
from sceau.creances.models import Claim, Message
from sceau.identity import services as identity
from sceau.identity.events import IdentityEvent
from sceau.identity.models import User
from sceau.journal.models import JournalEntry
from sceau.journal.services import Actor, record

OUTCOME_LABELS = {
    machine.REFUSED_PARTICIPATION: "refus de participer du débiteur (ou silence à l'échéance)",
    machine.NO_AGREEMENT_IN_TIME: "absence d'accord dans le délai d'un mois",
    machine.TERMS_REFUSED: "refus des termes de la proposition",
    machine.AGREEMENT: "accord des parties (titre exécutoire)",
}
CHANNEL_LABELS = {"post": "lettre recommandée avec accusé de réception", "email": "courriel"}
AUTHOR_LABELS = {"creditor": "créancier", "debtor": "débiteur", "officer": "commissaire de justice"}
PROPOSAL_STATUS = {
    "open": "en attente des réponses",
    "accepted": "acceptée par les deux parties",
    "refused": "refusée",
    "superseded": "remplacée par une proposition plus récente",
}


# --- who is asking -------------------------------------------------------------------------


def is_creditor(user) -> bool:
    return (
        user.is_authenticated
        and getattr(user, "role", None) == User.CREDITOR
        and user.email_verified_at is not None
    )


def creditor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in creditor (verified); an officer is sent to the office's queue."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if getattr(user, "is_officer", False):
            return redirect("/etude/creances/")
        if not is_creditor(user):
            return redirect(f"/connexion/?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper


def first_debtor_login(claim: Claim) -> bool:
    """True while the debtor's latest sign-in is their first one (it recorded the consent)."""
    last = (
        JournalEntry.objects.filter(
            object_kind="claim",
            object_id=str(claim.pk),
            actor_kind="debtor",
            action__in=(CreancesEvent.PARTY_FIRST_ACCESS, CreancesEvent.PARTY_ACCESS),
        )
        .order_by("-index")
        .values_list("action", flat=True)
        .first()
    )
    return last == CreancesEvent.PARTY_FIRST_ACCESS


# --- the creditor's account ----------------------------------------------------------------


class MailNotSent(SceauError):
    status = 503
    code = "mail_not_sent"
    message = (
        "Le message de vérification n'a pas pu être envoyé : aucun compte n'a été créé. "
        "Réessayez dans quelques minutes."
    )


def verification_link(token: str) -> str:
    return f"{settings.CONFIG.public_url}/creances/compte/verifier/{token}/"


def register_creditor(full_name: str, email: str, password: str) -> None:
    """Create the account and mail the verification link; nothing is kept if the mail fails.

    The answer never tells whether the address already has an account (ANSSI R14): for a
    taken address the same page follows, the password is hashed all the same (same time), and
    the mail goes to that address's owner, saying an account exists. The TOTP key is shown only
    after the address is verified, so this page holds nothing that differs between the two.
    """
    try:
        with transaction.atomic():
            try:
                user, token = identity.register_creditor(email, full_name, password)
            except Conflict as exc:
                if exc.code != "account_exists":
                    raise
                make_password(password)  # the time a new account would have taken
                _mail_existing_account(email)
                return
            send_mail(
                "Sceau — Petites créances : vérifiez votre adresse électronique",
                f"Bonjour {user.full_name},\n\n"
                "Pour activer votre compte de créancier sur la plateforme Petites créances, "
                f"ouvrez ce lien dans les 48 heures :\n\n{verification_link(token)}\n\n"
                "La page qui s'ouvre vous donnera la clé de votre application "
                "d'authentification ; vous vous connecterez ensuite avec votre adresse, votre mot "
                "de passe et le code de cette application.\n\n"
                "Si vous n'êtes pas à l'origine de cette inscription, ignorez ce message.",
                None,
                [user.email],
            )
    except (OSError, smtplib.SMTPException):
        raise MailNotSent() from None


def _mail_existing_account(email: str) -> None:
    """Tell the owner of a taken address that someone tried to register it (journaled)."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        return
    record(
        Actor.anonymous(),
        IdentityEvent.CREDITOR_REGISTRATION_OF_EXISTING_ADDRESS,
        object_kind="user",
        object_id=user.pk,
    )
    send_mail(
        "Sceau — Petites créances : vous avez déjà un compte",
        "Bonjour,\n\n"
        "Quelqu'un (peut-être vous) a demandé à créer un compte de créancier avec cette adresse, "
        "qui en a déjà un. Aucun nouveau compte n'a été créé.\n\n"
        f"Pour vous connecter : {settings.CONFIG.public_url}/connexion/\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, vous n'avez rien à faire.",
        None,
        [user.email],
    )


def otpauth_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=user.email, issuer_name="Sceau Petites créances"
    )


def grouped_secret(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- the officer's queue -------------------------------------------------------------------


def officer_queue(user: User) -> dict[str, list[Claim]]:
    """The office's claims in four groups, each claim in the first group it belongs to."""
    soon = machine._today() + timedelta(days=7)
    groups: dict[str, list[Claim]] = {"review": [], "deadlines": [], "signature": [], "others": []}
    claims = services.claims_for(user).select_related("office").prefetch_related("proposals")
    for claim in claims[:1000]:
        if claim.state == machine.REQUESTED:
            groups["review"].append(claim)
        elif claim.state == machine.INVITED and claim.answer_deadline <= soon:
            groups["deadlines"].append(claim)
        elif claim.state != machine.CLOSED and machine.allowed_outcome(claim) is not None:
            groups["signature"].append(claim)
        else:
            groups["others"].append(claim)
    groups["deadlines"].sort(key=lambda c: c.answer_deadline)
    return groups


# --- facts shown on the case pages ---------------------------------------------------------


def open_proposal(claim: Claim):
    return claim.proposals.filter(status="open").order_by("-pk").first()


def notice_rows(notices) -> list[dict]:
    """Notices with what they are about (the detail is in their canonical JSON)."""
    rows = []
    for notice in notices:
        try:
            body = json.loads(notice.canonical)
        except ValueError:
            body = {}
        event = body.get("event") or {}
        document = body.get("document") or {}
        rows.append(
            {
                "obj": notice,
                "detail": event.get("detail") or "",
                "document": document.get("name") or "",
            }
        )
    return rows


def case_facts(claim: Claim, *, for_creditor: bool) -> dict:
    """What every case page shows, whoever reads it."""
    claim_messages = [
        {"obj": m, "author": AUTHOR_LABELS.get(m.author_kind, m.author_kind)}
        for m in claim.messages.select_related("blob")
    ]
    facts = {
        "claim": claim,
        "state_label": machine.STATE_LABELS[claim.state],
        "next_step": services.next_step(claim),
        "limitation": machine.limitation(claim),
        "proposals": [
            {
                "obj": p,
                "status": PROPOSAL_STATUS.get(p.status, p.status),
                "instalments": [
                    {"due": date.fromisoformat(i["due"]), "amount": Decimal(i["amount"])}
                    for i in p.instalments
                ],
            }
            for p in claim.proposals.all()
        ],
        "open_proposal": open_proposal(claim),
        "claim_messages": claim_messages,
        "has_attachments": any(m["obj"].blob_id for m in claim_messages),
        "can_message": policy.can_message(claim),
        "outcome_label": OUTCOME_LABELS.get(claim.outcome, ""),
        "channel_label": CHANNEL_LABELS.get(claim.invitation_channel, ""),
    }
    if for_creditor:
        fees, checked = services.fees_for(claim)
        facts["fees"] = fees
        facts["fees_checked"] = checked
        facts["fees_total"] = sum((f.amount for f in fees), Decimal("0"))
    return facts


def pdf_response(data, name: str) -> HttpResponse:
    if not data:
        raise Conflict("Ce document n'existe pas encore à cette étape de la procédure.")
    return file_response(bytes(data), name=name, media_type="application/pdf")


def attachment_response(message: Message, chunks: Iterator[bytes]) -> StreamingHttpResponse:
    """A message's file, decrypted as it streams (the vault checks its SHA-256 on the way)."""
    blob = message.blob
    return file_response(
        chunks,
        name=message.file_name or "piece-jointe",
        media_type=blob.media_type,
        size=blob.size,
        sha256=blob.sha256,
    )
