"""Helpers of the browser tests."""

from __future__ import annotations


def sign_in(page, base: str, account: dict, landing: str) -> None:
    """Password and TOTP at /connexion/. A TOTP code is accepted once: if this account's code
    of the current 30 s step was already used (by another test of the same instance), wait
    for the next step and try again."""
    import time

    import pyotp
    from playwright.sync_api import expect

    for _ in range(2):
        page.goto(f"{base}/connexion/")
        page.get_by_label("Adresse électronique").fill(account["email"])
        page.get_by_label("Mot de passe").fill(account["password"])
        page.get_by_label("Code à usage unique").fill(pyotp.TOTP(account["totp_secret"]).now())
        page.get_by_role("button", name="Se connecter", exact=True).click()
        page.wait_for_load_state()
        if page.url == f"{base}{landing}":
            return
        expect(page.get_by_role("alert")).to_be_visible()
        time.sleep(30 - time.time() % 30 + 1)
    raise AssertionError(f"{account['email']} could not sign in")
