from django.conf import settings
from django.http import HttpRequest


def sceau(request: HttpRequest) -> dict:
    """Values every page needs."""
    return {
        "sceau_public_url": settings.CONFIG.public_url,
        "sceau_production": settings.CONFIG.production,
        "sceau_officer_password_login": settings.CONFIG.officer_password_login,
    }
