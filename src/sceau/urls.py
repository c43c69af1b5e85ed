from django.urls import include, path

from sceau.api.v1 import api
from sceau.identity import views as identity_views
from sceau.identity import views_oidc

urlpatterns = [
    path("connexion/", identity_views.officer_login, name="login"),
    path("deconnexion/", identity_views.officer_logout, name="logout"),
    # The identifier and code printed on an act, for every kind of holder
    path("acces/", identity_views.access_login, name="access_login"),
    # Officers' and auditors' TLS client certificates, verified by nginx (SCEAU_TRUSTED_PROXIES)
    path("connexion/certificat/", identity_views.certificate_login, name="certificate_login"),
    path(
        "connexion/certificat/refus/",
        identity_views.certificate_refused,
        name="certificate_refused",
    ),
    # OpenID Connect (FranceConnect-compatible) for parties; 404 while SCEAU_OIDC_ISSUER is empty
    path("oidc/connexion/", views_oidc.oidc_login, name="oidc_login"),
    path("oidc/retour/", views_oidc.oidc_callback, name="oidc_callback"),
    path("oidc/choisir/", views_oidc.oidc_choose, name="oidc_choose"),
    path("oidc/rattacher/", views_oidc.oidc_link, name="oidc_link"),
    path("oidc/detacher/", views_oidc.oidc_unlink, name="oidc_unlink"),
    path("oidc/deconnecte/", views_oidc.oidc_logged_out, name="oidc_logged_out"),
    path("api/v1/", api.urls),
    path("", include("sceau.creances.urls")),
    path("", include("sceau.pieces.urls")),
]
