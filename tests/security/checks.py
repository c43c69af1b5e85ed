"""How the access matrix exercises an endpoint as a role, and what it checks in the answer."""

from __future__ import annotations

import copy

from django.core.cache import cache
from django.db import transaction
from tests.security.matrix import FOREIGN, fill

REFUSED = {401, 403, 404}
LOGIN_PAGES = ("/connexion/", "/acces/")


class _Rollback(Exception):
    pass


# A signed-in role sent back to its own pages has been refused too (nothing of the object shown).
HOMES = {
    "officer_1": ("/etude/", "/etude/creances/"),
    "officer_2": ("/etude/", "/etude/creances/"),
    "creditor": ("/creances/",),
    "debtor": ("/creances/debiteur/",),
    "recipient_a": ("/acces/dossier/",),
    "recipient_b": ("/acces/dossier/",),
}


def is_refusal(answer, role: str | None = None) -> bool:
    """401/403/404, or a redirect to a login page (or, given ``role``, to that role's home)."""
    if answer.status_code in REFUSED:
        return True
    if answer.status_code in (302, 303):
        target = answer.get("Location", "").split("?")[0]
        pages = LOGIN_PAGES + (HOMES.get(role, ()) if role else ())
        return any(target.endswith(page) for page in pages)
    return False


def body_of(answer) -> bytes:
    if getattr(answer, "streaming", False):
        return b"".join(answer.streaming_content)
    return answer.content


def exercise(client, method: str, url: str, body: dict | None, api: bool):
    """One request inside a savepoint that is rolled back: no role sees another's changes
    (the client's cookies are restored too: a logout must not sign the role out for good)."""
    cache.clear()
    cookies = copy.deepcopy(client.cookies)
    result = {}
    try:
        with transaction.atomic():
            if method == "GET":
                answer = client.get(url)
            elif api:
                answer = client.post(url, body or {}, content_type="application/json")
            else:
                answer = client.post(url, {})
            result["answer"] = answer
            result["body"] = body_of(answer)
            raise _Rollback
    except _Rollback:
        pass
    client.cookies = cookies
    return result["answer"], result["body"]


def check_role(
    world,
    role: str,
    table: dict,
    routes: dict,
    clients: dict,
    api: bool,
    allowed_must_pass: bool = True,
) -> list:
    """Every endpoint of ``table`` as ``role``: refusals, leaks, server errors, and the headers
    every answer must carry (no-store: nothing personal stays in a cache; the CSP)."""
    problems = []
    for key, rule in sorted(table.items()):
        if key not in routes:
            continue  # a stale entry: reported by the classification test
        url = fill(routes[key], rule, world.ids)
        for method in rule.methods:
            answer, body = exercise(clients[role], method, url, rule.body, api)
            where = f"{role} {method} {url} ({key}) -> {answer.status_code}"
            if answer.status_code in (301, 302, 303):
                where += f" {answer['Location']}"
            if answer.status_code >= 500:
                problems.append(f"{where}: server error")
            elif answer.status_code == 405:
                problems.append(f"{where}: method not allowed, fix the classification")
            elif (
                allowed_must_pass
                and role in rule.allowed
                and is_refusal(answer)
                and rule.allowed != set(FOREIGN)
            ):
                problems.append(f"{where}: refused to an allowed role")
            elif role not in rule.allowed and not is_refusal(answer, role):
                problems.append(f"{where}: NOT refused")
            if answer.get("Cache-Control") != "no-store":
                problems.append(f"{where}: Cache-Control {answer.get('Cache-Control')!r}")
            if "frame-ancestors 'none'" not in answer.get("Content-Security-Policy", ""):
                problems.append(f"{where}: no strict Content-Security-Policy")
            for mark in FOREIGN[role]:
                if mark.encode() in body:
                    problems.append(f"{where}: shows {mark!r}")
    return problems
