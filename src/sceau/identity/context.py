from django.http import HttpRequest

from sceau.identity.sessions import EXPIRED_KEY


def session(request: HttpRequest) -> dict:
    """Whether the previous session ended (idle or absolute limit): the next page says so."""
    store = getattr(request, "session", None)
    return {"sceau_session_expired": bool(store is not None and store.pop(EXPIRED_KEY, False))}
