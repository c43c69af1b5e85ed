from django.urls import include, path

from sceau.api.v1 import api
from sceau.identity import views as identity_views

urlpatterns = [
    path("connexion/", identity_views.officer_login, name="login"),
    path("deconnexion/", identity_views.officer_logout, name="logout"),
    path("api/v1/", api.urls),
    path("", include("sceau.creances.urls")),
    path("", include("sceau.pieces.urls")),
]
