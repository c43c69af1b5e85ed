from django.urls import path

from sceau.pieces import views

app_name = "pieces"

urlpatterns = [
    path("", views.home, name="home"),
    path("etude/", views.dossier_list, name="dossiers"),
    path("etude/dossiers/nouveau/", views.dossier_create, name="dossier_create"),
    path("etude/dossiers/<int:dossier_id>/", views.dossier_detail, name="dossier"),
    path(
        "etude/dossiers/<int:dossier_id>/destinataires/", views.recipient_add, name="recipient_add"
    ),
    path("etude/dossiers/<int:dossier_id>/documents/", views.document_upload, name="upload"),
    path("etude/dossiers/<int:dossier_id>/journal/", views.dossier_journal, name="journal"),
    path("etude/dossiers/<int:dossier_id>/preuves/", views.evidence_bundle, name="evidence"),
    path(
        "etude/destinataires/<int:recipient_id>/identifiants/",
        views.credentials_issue,
        name="credentials",
    ),
    path(
        "etude/destinataires/<int:recipient_id>/signification/",
        views.signification,
        name="signification",
    ),
    path(
        "etude/destinataires/<int:recipient_id>/prolonger/", views.extend_short, name="extend_short"
    ),
    path(
        "etude/documents/<int:document_id>/prolonger/",
        views.document_extend,
        name="document_extend",
    ),
    path(
        "etude/avis/<int:notice_id>/pdf/", views.officer_notice, {"what": "pdf"}, name="notice_pdf"
    ),
    path(
        "etude/avis/<int:notice_id>/jeton/",
        views.officer_notice,
        {"what": "token"},
        name="notice_token",
    ),
    path("etude/signatures/", views.signature_check, name="signature_check"),
    path(
        "acces/avis/<int:notice_id>/pdf/",
        views.access_notice,
        {"what": "pdf"},
        name="access_notice_pdf",
    ),
    path(
        "acces/avis/<int:notice_id>/jeton/",
        views.access_notice,
        {"what": "token"},
        name="access_notice_token",
    ),
    path("acces/dossier/", views.access_dossier, name="access_dossier"),
    path(
        "acces/documents/<int:document_id>/voir/",
        views.access_document,
        {"mode": "view"},
        name="access_view",
    ),
    path(
        "acces/documents/<int:document_id>/telecharger/",
        views.access_document,
        {"mode": "download"},
        name="access_download",
    ),
    path("acces/deconnexion/", views.access_logout, name="access_logout"),
]
