from django.urls import path

from sceau.creances import views

app_name = "creances"

urlpatterns = [
    # the creditor's account
    path("creances/compte/inscription/", views.register, name="register"),
    path("creances/compte/verifier/<str:token>/", views.verify, name="verify"),
    # the creditor
    path("creances/", views.creditor_list, name="creditor_list"),
    path("creances/nouvelle/", views.creditor_new, name="creditor_new"),
    path("creances/<int:claim_id>/", views.creditor_claim, name="creditor_claim"),
    path("creances/<int:claim_id>/consentement/", views.creditor_consent, name="creditor_consent"),
    path(
        "creances/<int:claim_id>/proposition/",
        views.creditor_proposal_answer,
        name="creditor_proposal",
    ),
    path("creances/<int:claim_id>/messages/", views.creditor_message, name="creditor_message"),
    path(
        "creances/<int:claim_id>/pieces-jointes/<int:message_id>/",
        views.creditor_attachment,
        name="creditor_attachment",
    ),
    path(
        "creances/<int:claim_id>/titre/",
        views.creditor_document,
        {"what": "title"},
        name="creditor_title",
    ),
    path(
        "creances/<int:claim_id>/proces-verbal/",
        views.creditor_document,
        {"what": "record"},
        name="creditor_record",
    ),
    path(
        "creances/avis/<int:notice_id>/pdf/",
        views.creditor_notice,
        {"what": "pdf"},
        name="creditor_notice_pdf",
    ),
    path(
        "creances/avis/<int:notice_id>/jeton/",
        views.creditor_notice,
        {"what": "token"},
        name="creditor_notice_token",
    ),
    # the debtor (signed in at /acces/)
    path("creances/debiteur/", views.debtor_home, name="debtor"),
    path("creances/debiteur/reponse/", views.debtor_answer, name="debtor_answer"),
    path("creances/debiteur/proposition/", views.debtor_proposal_answer, name="debtor_proposal"),
    path("creances/debiteur/messages/", views.debtor_message, name="debtor_message"),
    path(
        "creances/debiteur/pieces-jointes/<int:message_id>/",
        views.debtor_attachment,
        name="debtor_attachment",
    ),
    path("creances/debiteur/mot-de-passe/", views.debtor_password, name="debtor_password"),
    path("creances/debiteur/titre/", views.debtor_document, {"what": "title"}, name="debtor_title"),
    path(
        "creances/debiteur/proces-verbal/",
        views.debtor_document,
        {"what": "record"},
        name="debtor_record",
    ),
    path(
        "creances/debiteur/avis/<int:notice_id>/pdf/",
        views.debtor_notice,
        {"what": "pdf"},
        name="debtor_notice_pdf",
    ),
    path(
        "creances/debiteur/avis/<int:notice_id>/jeton/",
        views.debtor_notice,
        {"what": "token"},
        name="debtor_notice_token",
    ),
    # the office
    path("etude/creances/", views.officer_queue, name="officer_queue"),
    path("etude/creances/nouvelle/", views.officer_new, name="officer_new"),
    path("etude/creances/<int:claim_id>/", views.officer_claim, name="officer_claim"),
    path("etude/creances/<int:claim_id>/mandat/", views.officer_mandate, name="officer_mandate"),
    path(
        "etude/creances/<int:claim_id>/invitation/",
        views.officer_invitation,
        name="officer_invitation",
    ),
    path(
        "etude/creances/<int:claim_id>/proposition/",
        views.officer_proposal,
        name="officer_proposal",
    ),
    path("etude/creances/<int:claim_id>/fin/", views.officer_outcome, name="officer_outcome"),
    path("etude/creances/<int:claim_id>/messages/", views.officer_message, name="officer_message"),
    path(
        "etude/creances/<int:claim_id>/pieces-jointes/<int:message_id>/",
        views.officer_attachment,
        name="officer_attachment",
    ),
    path(
        "etude/creances/<int:claim_id>/titre/",
        views.officer_document,
        {"what": "title"},
        name="officer_title",
    ),
    path(
        "etude/creances/<int:claim_id>/proces-verbal/",
        views.officer_document,
        {"what": "record"},
        name="officer_record",
    ),
]
