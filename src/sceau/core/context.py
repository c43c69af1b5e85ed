from django.conf import settings
from django.http import HttpRequest

from sceau.identity.sessions import EXPIRED_KEY


def sceau(request: HttpRequest) -> dict:
    """Values every page needs."""
    session = getattr(request, "session", None)
    expired = bool(session is not None and session.pop(EXPIRED_KEY, False))
    return {
        "sceau_session_expired": expired,
        "sceau_public_url": settings.CONFIG.public_url,
        "sceau_production": settings.CONFIG.production,
        "sceau_officer_password_login": settings.CONFIG.officer_password_login,
    }
