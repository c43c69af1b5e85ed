"""Pages of Petites créances: the creditor (/creances/), the office (/etude/creances/) and the
debtor (/creances/debiteur/, after signing in at /acces/)."""

from __future__ import annotations

import base64
import functools

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sceau.core.errors import InvalidInput, SceauError
from sceau.core.web import ERROR_BACK, error_back, officer_required
from sceau.creances import machine, policy, services
from sceau.creances import web_support as support
from sceau.creances.forms import (
    CreditorClaimForm,
    DeclineForm,
    HolderPasswordForm,
    InstalmentFormSet,
    InvitationForm,
    MessageForm,
    OfficerClaimForm,
    OutcomeForm,
    ProposalForm,
    RegisterForm,
    euros,
    instalments_from,
)
from sceau.identity import services as identity
from sceau.identity.auth import holder_for_session, principal_for
from sceau.identity.proxy import client_address as client_ip
from sceau.notary import services as notary
from sceau.notary.models import Notice
from sceau.notary.views_support import notice_file
from sceau.vault.uploads import single_upload

DEBTOR_HOME = "/creances/debiteur/"


def _form_problem(form) -> InvalidInput:
    problems = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else "Formulaire"
        problems.append(f"{label} : {' '.join(errors)}")
    return InvalidInput("Formulaire incomplet — " + " ; ".join(problems))


def _post_message(request: HttpRequest, claim) -> str:
    """Record the message form (with its file, sealed on arrival); the confirmation to show."""
    form = MessageForm(request.POST)
    if not form.is_valid():
        raise _form_problem(form)
    upload = single_upload(request) if request.FILES else None
    message = services.post_message(
        principal_for(request),
        claim,
        form.cleaned_data["text"],
        counter_amount=form.counter(),
        sealed=upload.sealed if upload else None,
        file_name=upload.name if upload else "",
    )
    return f" Pièce jointe : « {message.file_name} »." if message.blob_id else ""


def _attachment(request: HttpRequest, claim, message_id: int) -> HttpResponse:
    """The file of one of this claim's messages (the caller checked who may see the claim)."""
    message, chunks = services.consult_attachment(principal_for(request), claim, message_id)
    return support.attachment_response(message, chunks)


# --- the creditor's account ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            try:
                support.register_creditor(
                    form.cleaned_data["full_name"],
                    form.cleaned_data["email"],
                    form.cleaned_data["password"],
                )
            except SceauError as exc:
                error, status = exc.message, exc.status
            else:
                # The same page whether the address was free or taken (ANSSI R14).
                return render(
                    request, "creances/registered.html", {"email": form.cleaned_data["email"]}
                )
        else:
            error, status = "Remplissez les trois champs (adresse électronique valide).", 400
    return render(request, "creances/register.html", {"form": form, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
@error_back("/creances/compte/inscription/")
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that open links must not use up the one display of
    the TOTP key); POST activates the account and shows the key, once."""
    if request.method == "GET":
        return render(request, "creances/verify.html", {})
    user = identity.verify_email(token)
    context = {"account": user, "first": user.just_verified}
    if user.just_verified:
        context["secret"] = support.grouped_secret(user.totp_secret)
        context["uri"] = support.otpauth_uri(user)
    return render(request, "creances/verified.html", context)


# --- the creditor --------------------------------------------------------------------------


@support.creditor_required
@require_GET
def creditor_list(request: HttpRequest) -> HttpResponse:
    claims = services.claims_for(request.user).select_related("office")[:500]
    rows = [
        {
            "obj": c,
            "state_label": machine.STATE_LABELS[c.state],
            "next_step": services.next_step(c),
        }
        for c in claims
    ]
    return render(request, "creances/creditor_list.html", {"rows": rows})


@support.creditor_required
@require_http_methods(["GET", "POST"])
def creditor_new(request: HttpRequest) -> HttpResponse:
    form = CreditorClaimForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            user = request.user
            try:
                claim = machine.file_claim(
                    user,
                    form.cleaned_data["office"],
                    form.claim_input(
                        user.full_name, form.cleaned_data["creditor_address"], user.email
                    ),
                    user,
                )
            except SceauError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    f"Demande {claim.reference} transmise à {claim.office.name}.",
                )
                return redirect("creances:creditor_claim", claim.pk)
        else:
            error, status = "Vérifiez les champs signalés ci-dessous.", 400
    return render(
        request,
        "creances/claim_new.html",
        {"form": form, "error": error, "officer": False},
        status=status,
    )


def _creditor_claim(request: HttpRequest, claim_id: int):
    return services.get_claim(request.user, claim_id)


def consented(view):
    """The creditor's claim, once they have consented to electronic exchange (the one gate;
    until then their claim page asks for it, and the API records it at first access)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, claim_id: int, *args, **kwargs) -> HttpResponse:
        claim = _creditor_claim(request, claim_id)
        if not services.has_consented(claim, "creditor"):
            return redirect("creances:creditor_claim", claim.pk)
        return view(request, claim, *args, **kwargs)

    return wrapper


@support.creditor_required
@require_GET
def creditor_claim(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _creditor_claim(request, claim_id)
    if not services.has_consented(claim, "creditor"):
        return render(
            request, "creances/consent.html", {"claim": claim, "text": services.CONSENT_TEXT}
        )
    seen = request.session.setdefault("creances_seen", [])
    if claim.pk not in seen:  # one access journaled per sign-in and claim
        services.record_access(claim, "creditor", client_ip(request))
        request.session["creances_seen"] = [*seen, claim.pk]
    context = support.case_facts(claim, for_creditor=True)
    context.update(
        {
            "message_form": MessageForm(),
            "notices": support.notice_rows(notary.notices_for_claim(claim.pk, "creditor")),
            "authority": notary.get_timestamper(),
            "consent_text": services.CONSENT_TEXT,
            "base": f"/creances/{claim.pk}",
            "notices_base": "/creances",
        }
    )
    return render(request, "creances/creditor_claim.html", context)


@support.creditor_required
@require_POST
def creditor_consent(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _creditor_claim(request, claim_id)
    if not services.has_consented(claim, "creditor"):
        services.record_access(claim, "creditor", client_ip(request))
        request.session["creances_seen"] = [
            *request.session.get("creances_seen", []),
            claim.pk,
        ]
    return redirect("creances:creditor_claim", claim.pk)


@support.creditor_required
@require_POST
@consented
def creditor_proposal_answer(request: HttpRequest, claim) -> HttpResponse:
    accept = request.POST.get("accept") == "1"
    services.answer_proposal(claim, "creditor", accept)
    messages.success(
        request,
        "Vous avez accepté la proposition." if accept else "Vous avez refusé la proposition.",
    )
    return redirect("creances:creditor_claim", claim.pk)


@support.creditor_required
@require_POST
@consented
def creditor_message(request: HttpRequest, claim) -> HttpResponse:
    attached = _post_message(request, claim)
    messages.success(request, "Message envoyé au commissaire de justice." + attached)
    return redirect("creances:creditor_claim", claim.pk)


@support.creditor_required
@require_GET
@consented
def creditor_attachment(request: HttpRequest, claim, message_id: int) -> HttpResponse:
    return _attachment(request, claim, message_id)


@support.creditor_required
@require_GET
@consented
def creditor_document(request: HttpRequest, claim, what: str) -> HttpResponse:
    return _document(claim, what)


def _document(claim, what: str) -> HttpResponse:
    if what == "title":
        return support.pdf_response(claim.title_pdf, f"titre-executoire-{claim.reference}.pdf")
    return support.pdf_response(claim.record_pdf, f"proces-verbal-{claim.reference}.pdf")


@support.creditor_required
@require_GET
def creditor_notice(request: HttpRequest, notice_id: int, what: str) -> HttpResponse:
    notice = Notice.objects.filter(pk=notice_id, context="creances", party="creditor").first()
    if (
        notice is not None
        and not services.claims_for(request.user).filter(pk=notice.case_id).exists()
    ):
        notice = None
    return notice_file(notice, what)


# --- the office ----------------------------------------------------------------------------


@officer_required
@require_GET
def officer_queue(request: HttpRequest) -> HttpResponse:
    groups = support.officer_queue(request.user)
    sections = [
        ("review", "À examiner : demandes de mandat", groups["review"]),
        ("deadlines", "Échéances de réponse dans les sept jours", groups["deadlines"]),
        ("signature", "À signer : fin de procédure à enregistrer", groups["signature"]),
        ("others", "Autres créances", groups["others"]),
    ]
    rows = [
        (
            key,
            title,
            [
                {
                    "obj": c,
                    "state_label": machine.STATE_LABELS[c.state],
                    "next_step": services.next_step(c),
                }
                for c in claims
            ],
        )
        for key, title, claims in sections
    ]
    return render(request, "creances/officer_queue.html", {"sections": rows})


@officer_required
@require_http_methods(["GET", "POST"])
def officer_new(request: HttpRequest) -> HttpResponse:
    form = OfficerClaimForm(request.POST or None)
    error, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                claim = machine.file_claim(
                    request.user,
                    request.user.office,
                    form.claim_input(
                        d["creditor_name"], d["creditor_address"], d["creditor_email"]
                    ),
                    None,
                )
            except SceauError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(request, f"Demande {claim.reference} enregistrée.")
                return redirect("creances:officer_claim", claim.pk)
        else:
            error, status = "Vérifiez les champs signalés ci-dessous.", 400
    return render(
        request,
        "creances/claim_new.html",
        {"form": form, "error": error, "officer": True},
        status=status,
    )


@officer_required
@require_GET
def officer_claim(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = services.get_claim(request.user, claim_id)
    allowed = machine.allowed_outcome(claim) if claim.state != machine.CLOSED else None
    context = support.case_facts(claim, for_creditor=True)
    context.update(
        {
            "allowed_outcome": allowed,
            "allowed_outcome_label": support.OUTCOME_LABELS.get(allowed or "", ""),
            "decline_form": DeclineForm(),
            "invitation_form": InvitationForm(initial={"sent_on": machine._today()}),
            "proposal_form": ProposalForm(),
            "instalments": InstalmentFormSet(prefix="e"),
            "outcome_form": OutcomeForm(initial={"outcome": allowed}),
            "message_form": MessageForm(),
            "notices": support.notice_rows(notary.notices_for_claim(claim.pk)),
            "authority": notary.get_timestamper(),
            "base": f"/etude/creances/{claim.pk}",
            "notices_base": "/etude",
            "may_propose": policy.may_propose(claim),
        }
    )
    return render(request, "creances/officer_claim.html", context)


@officer_required
@require_POST
def officer_mandate(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = services.get_claim(request.user, claim_id)
    accept = request.POST.get("decision") == "accept"
    reason = ""
    if not accept:
        form = DeclineForm(request.POST)
        if not form.is_valid():
            raise InvalidInput("Indiquez au créancier la raison du refus du mandat.")
        reason = form.cleaned_data["reason"]
    machine.decide_mandate(request.user, claim, accept, reason)
    messages.success(request, "Mandat accepté." if accept else "Mandat refusé.")
    return redirect("creances:officer_claim", claim.pk)


@officer_required
@require_POST
def officer_invitation(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = services.get_claim(request.user, claim_id)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        raise _form_problem(form)
    sent = services.invite(
        request.user, claim, form.cleaned_data["sent_on"], form.cleaned_data["channel"]
    )
    return render(
        request,
        "creances/invitation.html",
        {
            "claim": sent.claim,
            "identifier": sent.identifier,
            "code": sent.code,
            "pdf": base64.b64encode(sent.pdf).decode(),
            "next_step": services.next_step(sent.claim),
            "channel_label": support.CHANNEL_LABELS.get(sent.claim.invitation_channel, ""),
        },
    )


@officer_required
@require_POST
def officer_proposal(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = services.get_claim(request.user, claim_id)
    form = ProposalForm(request.POST)
    formset = InstalmentFormSet(request.POST, prefix="e")
    if not form.is_valid():
        raise _form_problem(form)
    if not formset.is_valid():
        raise InvalidInput(
            "Échéancier incomplet : chaque échéance a une date et un montant (laissez vides les "
            "lignes inutiles)."
        )
    services.propose(
        request.user, claim, euros(form.cleaned_data["amount"]), instalments_from(formset)
    )
    messages.success(request, "Proposition transmise au créancier et au débiteur.")
    return redirect("creances:officer_claim", claim.pk)


@officer_required
@require_POST
def officer_outcome(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = services.get_claim(request.user, claim_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        raise _form_problem(form)
    # A wrong passphrase or PIN, no certificate, an authority down: the notary's error (with
    # its own status) reaches the error page, and nothing was recorded.
    services.record_outcome(
        request.user,
        claim,
        form.cleaned_data["outcome"],
        form.cleaned_data["signing_secret"],
    )
    messages.success(request, "Fin de la procédure enregistrée ; documents signés.")
    return redirect("creances:officer_claim", claim.pk)


@officer_required
@require_POST
def officer_message(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = services.get_claim(request.user, claim_id)
    attached = _post_message(request, claim)
    messages.success(request, "Message publié." + attached)
    return redirect("creances:officer_claim", claim.pk)


@officer_required
@require_GET
def officer_attachment(request: HttpRequest, claim_id: int, message_id: int) -> HttpResponse:
    claim = services.get_claim(request.user, claim_id)
    return _attachment(request, claim, message_id)


@officer_required
@require_GET
def officer_document(request: HttpRequest, claim_id: int, what: str) -> HttpResponse:
    return _document(services.get_claim(request.user, claim_id), what)


# --- the debtor ----------------------------------------------------------------------------


def debtor_view(view):
    """The debtor signed in at /acces/ (15 minutes idle), with their claim; else /acces/.

    Their credential is left on ``request.holder_credential``."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        credential = holder_for_session(request)
        if credential is None or credential.holder_kind != services.HOLDER_KIND:
            return redirect("access_login")
        request.holder_credential = credential
        setattr(request, ERROR_BACK, DEBTOR_HOME)  # errors link back to the debtor's page
        return view(request, services.claim_for_credential(credential), *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _debtor_page(
    request: HttpRequest, claim, password_form=None, password_error: str = "", status: int = 200
) -> HttpResponse:
    credential = request.holder_credential
    context = support.case_facts(claim, for_creditor=False)
    context.update(
        {
            "first_login": support.first_debtor_login(claim),
            "consent_text": services.CONSENT_TEXT,
            "may_answer": policy.debtor_may_answer(claim),
            "message_form": MessageForm(),
            "notices": support.notice_rows(notary.notices_for_claim(claim.pk, "debtor")),
            "authority": notary.get_timestamper(),
            "base": "/creances/debiteur",
            "notices_base": "/creances/debiteur",
            "identifier": credential.identifier,
            "has_password": bool(credential.password_hash),
            "password_form": password_form or HolderPasswordForm(),
            "password_error": password_error,
        }
    )
    return render(request, "creances/debtor_claim.html", context, status=status)


@require_GET
@debtor_view
def debtor_home(request: HttpRequest, claim) -> HttpResponse:
    return _debtor_page(request, claim)


@require_POST
@debtor_view
def debtor_password(request: HttpRequest, claim) -> HttpResponse:
    form = HolderPasswordForm(request.POST)
    if not form.is_valid():
        error = "Vérifiez les champs signalés ci-dessous : rien n'a été enregistré."
        return _debtor_page(request, claim, form, error, status=400)
    try:
        identity.set_holder_password(request.holder_credential, form.cleaned_data["password"])
    except InvalidInput as exc:  # too short, too common: the validators' message
        return _debtor_page(request, claim, form, exc.message, status=400)
    messages.success(
        request,
        "Mot de passe enregistré. Pour vos prochaines connexions, saisissez-le avec votre "
        "identifiant à la place du code personnel ; le code reste valable.",
    )
    return redirect(DEBTOR_HOME)


@require_POST
@debtor_view
def debtor_answer(request: HttpRequest, claim) -> HttpResponse:
    decision = request.POST.get("decision", "")
    services.debtor_answer(claim, decision)
    messages.success(
        request,
        "Vous avez accepté de participer à la procédure."
        if decision == "accept"
        else "Vous avez refusé de participer à la procédure.",
    )
    return redirect(DEBTOR_HOME)


@require_POST
@debtor_view
def debtor_proposal_answer(request: HttpRequest, claim) -> HttpResponse:
    accept = request.POST.get("accept") == "1"
    services.answer_proposal(claim, "debtor", accept)
    messages.success(
        request,
        "Vous avez accepté la proposition." if accept else "Vous avez refusé la proposition.",
    )
    return redirect(DEBTOR_HOME)


@require_POST
@debtor_view
def debtor_message(request: HttpRequest, claim) -> HttpResponse:
    attached = _post_message(request, claim)
    messages.success(request, "Message envoyé au commissaire de justice." + attached)
    return redirect(DEBTOR_HOME)


@require_GET
@debtor_view
def debtor_attachment(request: HttpRequest, claim, message_id: int) -> HttpResponse:
    return _attachment(request, claim, message_id)


@require_GET
@debtor_view
def debtor_document(request: HttpRequest, claim, what: str) -> HttpResponse:
    return _document(claim, what)


@require_GET
@debtor_view
def debtor_notice(request: HttpRequest, claim, notice_id: int, what: str) -> HttpResponse:
    notice = notary.notices_for_claim(claim.pk, "debtor").filter(pk=notice_id).first()
    return notice_file(notice, what)
