"""Pages of Mes Pieces: the office's side (/etude/) and the recipient's side (/acces/)."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sceau.core.errors import InvalidInput, NotFound, SceauError
from sceau.core.files import file_response
from sceau.core.web import error_back, officer_required
from sceau.identity.auth import holder_for_session
from sceau.notary import services as notary
from sceau.notary.models import Notice
from sceau.notary.views_support import notice_file
from sceau.pieces import policy, services
from sceau.pieces.forms import (
    DossierForm,
    ExtensionForm,
    RecipientForm,
    RecipientFormSet,
    SignificationForm,
)
from sceau.pieces.mention import mention_text, render_mention_pdf
from sceau.pieces.views_support import access_mention, document_response
from sceau.vault.uploads import single_upload


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pieces/home.html")


# --- office side ---------------------------------------------------------------------------


@officer_required
@require_GET
def dossier_list(request: HttpRequest) -> HttpResponse:
    dossiers = services.dossiers_for(request.user).prefetch_related("recipients")[:500]
    return render(request, "pieces/dossier_list.html", {"dossiers": dossiers})


@officer_required
@require_http_methods(["GET", "POST"])
def dossier_create(request: HttpRequest) -> HttpResponse:
    form = DossierForm(request.POST or None)
    formset = RecipientFormSet(request.POST or None, prefix="r")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        recipients = [services.RecipientInput(**f.cleaned_data) for f in formset if f.cleaned_data]
        dossier = services.create_dossier(
            request.user,
            form.cleaned_data["reference"],
            form.cleaned_data["creditor"],
            form.cleaned_data["court"],
            recipients,
        )
        messages.success(request, f"Dossier {dossier.reference} créé.")
        return redirect("pieces:dossier", dossier.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "pieces/dossier_create.html", {"form": form, "formset": formset}, status=status
    )


@officer_required
@require_GET
def dossier_detail(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = services.get_dossier(request.user, dossier_id)
    now = timezone.now()
    recipients = []
    for r in dossier.recipients.all():
        recipients.append(
            {
                "obj": r,
                "credential": services.credential_of(r),
                "short": services.documents_short_for(r),
                "required": services.required_expiry(r),
                "opposition": services.opposition_deadline(r),
            }
        )
    documents = []
    for d in dossier.documents.all().select_related("deposited_by"):
        documents.append(
            {
                "obj": d,
                "available": policy.may_extend(d, now),
                "consultations": services.consultation_summary(d),
                "audience": "Tous les destinataires"
                if d.visible_to_all
                else ", ".join(r.name for r in d.recipients.all()),
            }
        )
    return render(
        request,
        "pieces/dossier_detail.html",
        {
            "dossier": dossier,
            "recipients": recipients,
            "documents": documents,
            "notices": notary.notices_for_dossier(dossier.pk),
            "authority": notary.get_timestamper(),
            "recipient_form": RecipientForm(prefix="new"),
            "signification_form": SignificationForm(),
            "extension_form": ExtensionForm(),
        },
    )


@officer_required
@require_POST
def recipient_add(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = services.get_dossier(request.user, dossier_id)
    form = RecipientForm(request.POST, prefix="new")
    if not form.is_valid():
        raise InvalidInput(
            "Destinataire incomplet : "
            + "; ".join(f"{form.fields[k].label} : {' '.join(v)}" for k, v in form.errors.items())
        )
    services.add_recipient(request.user, dossier, services.RecipientInput(**form.cleaned_data))
    messages.success(request, "Destinataire ajouté.")
    return redirect("pieces:dossier", dossier.pk)


@officer_required
@require_POST
def credentials_issue(request: HttpRequest, recipient_id: int) -> HttpResponse:
    recipient = services.get_recipient(request.user, recipient_id)
    issued = services.issue_credentials(request.user, recipient)
    mention = access_mention(recipient, issued)
    pdf = base64.b64encode(render_mention_pdf(mention)).decode()
    return render(
        request,
        "pieces/credentials.html",
        {
            "recipient": recipient,
            "issued": issued,
            "text": mention_text(mention),
            "pdf": pdf,
        },
    )


@officer_required
@require_POST
def signification(request: HttpRequest, recipient_id: int) -> HttpResponse:
    recipient = services.get_recipient(request.user, recipient_id)
    form = SignificationForm(request.POST)
    if not form.is_valid():
        raise InvalidInput("Indiquez une date de signification valide (jj/mm/aaaa).")
    short = services.record_signification(request.user, recipient, form.cleaned_data["date"])
    if short:
        messages.warning(
            request,
            f"{len(short)} document(s) visibles par {recipient.name} "
            "expireraient moins d'un mois après la signification : prolongez-les.",
        )
    else:
        messages.success(request, "Date de signification enregistrée.")
    return redirect("pieces:dossier", recipient.dossier_id)


@officer_required
@require_POST
def extend_short(request: HttpRequest, recipient_id: int) -> HttpResponse:
    recipient = services.get_recipient(request.user, recipient_id)
    done = services.extend_short_documents(request.user, recipient)
    messages.success(request, f"{len(done)} document(s) prolongé(s).")
    return redirect("pieces:dossier", recipient.dossier_id)


@officer_required
@require_POST
def document_extend(request: HttpRequest, document_id: int) -> HttpResponse:
    document = services.get_document(request.user, document_id)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        raise InvalidInput("Indiquez une date valide.")
    services.extend_document(request.user, document, form.cleaned_data["until"])
    messages.success(request, f"{document.name} prolongé.")
    return redirect("pieces:dossier", document.dossier_id)


@officer_required
@require_POST
def document_upload(request: HttpRequest, dossier_id: int) -> HttpResponse:
    """Deposit from the page; answers JSON to the progress-bar script, a redirect otherwise."""
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    dossier = services.get_dossier(request.user, dossier_id)
    upload = single_upload(request)
    ids = [int(v) for v in request.POST.getlist("recipients") if v.isdigit()]
    document = services.deposit(request.user, dossier, upload.sealed, upload.name, ids)
    messages.success(request, f"{document.name} déposé (empreinte SHA-256 {document.sha256}).")
    if wants_json:
        return JsonResponse(
            {
                "id": document.pk,
                "sha256": document.sha256,
                "redirect": f"/etude/dossiers/{dossier.pk}/",
            },
            status=201,
        )
    return redirect("pieces:dossier", dossier.pk)


@officer_required
@require_GET
def dossier_journal(request: HttpRequest, dossier_id: int) -> HttpResponse:
    dossier = services.get_dossier(request.user, dossier_id)
    return render(
        request,
        "pieces/journal.html",
        {"dossier": dossier, "entries": services.dossier_journal(dossier)},
    )


# --- recipient side ------------------------------------------------------------------------


def _holder_recipient(request: HttpRequest):
    credential = holder_for_session(request)
    if credential is None or credential.holder_kind != services.HOLDER_KIND:
        return None  # (a Petites créances debtor has no pieces here)
    return services.recipient_for_credential(credential)


@require_GET
def access_dossier(request: HttpRequest) -> HttpResponse:
    recipient = _holder_recipient(request)
    if recipient is None:
        return redirect("access_login")
    now = timezone.now()
    documents = [
        {"obj": d, "available": policy.may_consult(d, now)}
        for d in services.visible_documents(recipient).filter(purged_at=None)
    ]
    return render(
        request,
        "pieces/access_dossier.html",
        {
            "recipient": recipient,
            "dossier": recipient.dossier,
            "documents": documents,
            "opposition": services.opposition_deadline(recipient),
            "opposition_text": services.opposition_information(recipient),
            "notices": notary.notices_for_recipient(recipient.pk),
            "authority": notary.get_timestamper(),
        },
    )


@require_GET
@error_back("/acces/dossier/")
def access_document(request: HttpRequest, document_id: int, mode: str) -> HttpResponse:
    recipient = _holder_recipient(request)
    if recipient is None:
        return redirect("access_login")
    opened = services.consult(recipient, document_id, mode)
    return document_response(opened, attachment=(mode == "download"))


@require_POST
def access_logout(request: HttpRequest) -> HttpResponse:
    from sceau.identity.views_oidc import provider_logout_url

    at_provider = provider_logout_url(request)  # signed in with FranceConnect: end it there too
    request.session.flush()
    return redirect(at_provider or "access_login")


# --- timestamped notices -------------------------------------------------------------------


@officer_required
@require_GET
def officer_notice(request: HttpRequest, notice_id: int, what: str) -> HttpResponse:
    notice = Notice.objects.filter(pk=notice_id, office_id=request.user.office_id).first()
    if notice is None:
        raise NotFound("Cet avis n'existe pas ou n'appartient pas à votre étude.")
    return notice_file(notice, what)


@require_GET
@error_back("/acces/dossier/")
def access_notice(request: HttpRequest, notice_id: int, what: str) -> HttpResponse:
    recipient = _holder_recipient(request)
    if recipient is None:
        return redirect("access_login")
    notice = Notice.objects.filter(
        pk=notice_id, context="pieces", recipient_id=recipient.pk
    ).first()
    return notice_file(notice, what)


@officer_required
@require_GET
def evidence_bundle(request: HttpRequest, dossier_id: int) -> HttpResponse:
    from sceau.pieces.evidence import dossier_bundle

    dossier = services.get_dossier(request.user, dossier_id)
    return file_response(
        dossier_bundle(dossier), name=f"preuves-{dossier.pk}.zip", media_type="application/zip"
    )


@officer_required
@require_http_methods(["GET", "POST"])
def signature_check(request: HttpRequest) -> HttpResponse:
    """Upload a PDF and read the validation report of its signatures (the file is not kept)."""

    reports, error = None, None
    if request.method == "POST":
        try:
            upload = single_upload(request)
            reports = notary.report_for_upload(upload.sealed)
        except SceauError as exc:  # the report page shows why the file was not read
            error = exc.message
    status = 400 if error else 200
    return render(
        request, "notary/signature_check.html", {"reports": reports, "error": error}, status=status
    )
