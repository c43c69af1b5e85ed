"""Officers' certificates: parsing, registry, mapping, refusals, web sign-in, session binding,
trust of the TLS proxy, and password sign-in switched off for officers.

The proxy is simulated by the test client's REMOTE_ADDR and headers (the real nginx is in
test_nginx.py); certificates come from the TEST PKI of sceau.identity.testpki.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import subprocess
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from tests.helpers import PASSWORD, otp_for

from sceau.core.errors import AuthenticationFailed, Conflict, NotFound
from sceau.identity import certificates, services, testpki
from sceau.identity.certificates import (
    SESSION_FINGERPRINT_KEY,
    CertificateError,
    CertificateRefused,
)
from sceau.identity.models import OfficerCertificate, User
from sceau.identity.proxy import ProxyHeadersMiddleware, is_trusted_proxy
from sceau.identity.proxy import client_address as client_ip
from sceau.journal.models import JournalEntry

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.2"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> testpki.TlsTestPki:
    return testpki.ensure_tls_test_pki(tmp_path_factory.mktemp("tls-pki"))


@pytest.fixture(scope="module")
def officer_cert(pki) -> testpki.ClientFiles:
    return pki.issue_client("one", "Maître Une", "one@etude.test")


@pytest.fixture(scope="module")
def other_cert(pki) -> testpki.ClientFiles:
    return pki.issue_client("other", "Maître Une (2e)", "one@etude.test")


@pytest.fixture
def proxied(settings):
    settings.CONFIG = dataclasses.replace(
        settings.CONFIG, trusted_proxies=(ipaddress.ip_network(f"{PROXY}/32"),)
    )


@pytest.fixture
def registered(world, officer_cert) -> OfficerCertificate:
    return certificates.register_certificate(world.officer, officer_cert.issued.pem)


def escaped(pem: bytes) -> str:
    """What nginx's $ssl_client_escaped_cert looks like."""
    return urllib.parse.quote(pem.decode(), safe="")


def via(pem: bytes | None, status: str = "SUCCESS", peer: str = PROXY, real_ip="203.0.113.7"):
    meta = {"REMOTE_ADDR": peer, "HTTP_X_REAL_IP": real_ip, "HTTP_X_SSL_CLIENT_VERIFY": status}
    if pem is not None:
        meta["HTTP_X_SSL_CLIENT_CERT"] = escaped(pem)
    return meta


def entries(action: str) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action=action).order_by("index"))


def _twin(pki: testpki.TlsTestPki, of: x509.Certificate) -> x509.Certificate:
    """Another certificate with the same issuer and serial number but another key."""
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateBuilder()
        .subject_name(of.subject)
        .issuer_name(of.issuer)
        .public_key(key.public_key())
        .serial_number(of.serial_number)
        .not_valid_before(of.not_valid_before_utc)
        .not_valid_after(of.not_valid_after_utc)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .sign(pki.client_ca.key, hashes.SHA256())
    )


# --- parsing --------------------------------------------------------------------------------


def test_pem_escaped_pem_and_der_give_the_fingerprint_openssl_gives(officer_cert):
    pem = officer_cert.issued.pem
    der = officer_cert.issued.cert.public_bytes(serialization.Encoding.DER)
    parsed = [certificates.parse_certificate(x) for x in (pem, escaped(pem), pem.decode(), der)]
    assert len({p.fingerprint for p in parsed}) == 1
    openssl = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", officer_cert.cert_path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert certificates.normalize_fingerprint(openssl.split("=", 1)[1]) == parsed[0].fingerprint
    assert parsed[0].serial == format(officer_cert.issued.cert.serial_number, "x")
    assert "CN=Sceau — AC d'authentification de TEST" in parsed[0].issuer
    assert "CN=Maître Une" in parsed[0].subject


@pytest.mark.parametrize("junk", ["", "-----BEGIN CERTIFICATE-----\nAAAA\n", "%ZZ", "bonjour"])
def test_junk_is_unreadable(junk):
    with pytest.raises(CertificateRefused) as caught:
        certificates.parse_certificate(junk)
    assert caught.value.reason == "unreadable"


def test_fingerprints_are_normalized_or_refused():
    hexa = "ab" * 32
    assert certificates.normalize_fingerprint(":".join(["AB"] * 32)) == hexa
    assert certificates.normalize_fingerprint(hexa.upper()) == hexa
    assert certificates.normalize_fingerprint(hexa[:-2]) == ""
    assert certificates.normalize_fingerprint("zz" * 32) == ""


# --- registry -------------------------------------------------------------------------------


def test_registration_is_journaled_with_the_certificate(world, registered, officer_cert):
    assert registered.fingerprint == officer_cert.fingerprint
    assert registered.user == world.officer
    [entry] = entries("identity:certificate:registered")
    assert entry.details["fingerprint"] == officer_cert.fingerprint
    assert entry.office_id == world.officer.office_id


def test_registration_refusals(world, pki, registered, officer_cert):
    with pytest.raises(Conflict):  # twice
        certificates.register_certificate(world.officer, officer_cert.issued.pem)
    with pytest.raises(Conflict) as caught:  # same issuer and serial, another key
        certificates.register_certificate(
            world.officer,
            _twin(pki, officer_cert.issued.cert).public_bytes(serialization.Encoding.PEM),
        )
    assert caught.value.code == "certificate_serial_reused"
    creditor, _ = services.register_creditor("c@example.test", "Créancier", PASSWORD)
    fresh = pki.issue_client("fresh", "Quelqu'un")
    with pytest.raises(CertificateError):  # creditors sign in with a password
        certificates.register_certificate(creditor, fresh.issued.pem)
    now = datetime.now(UTC)
    old = pki.issue_client(
        "old", "Ancien", not_before=now - timedelta(days=9), not_after=now - timedelta(days=1)
    )
    with pytest.raises(CertificateError, match="expiré"):
        certificates.register_certificate(world.officer, old.issued.pem)
    with pytest.raises(CertificateError, match=r"pas un certificat X\.509 lisible"):
        certificates.register_certificate(world.officer, b"not a certificate")
    assert OfficerCertificate.objects.count() == 1
    assert len(entries("identity:certificate:registered")) == 1


def test_a_signing_only_certificate_is_refused_and_a_renewal_is_accepted(world, pki):
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    signing = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=Signature seulement"))
        .issuer_name(pki.client_ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]), False)
        .sign(pki.client_ca.key, hashes.SHA256())
    )
    with pytest.raises(CertificateError, match="clientAuth"):
        certificates.register_certificate(
            world.officer, signing.public_bytes(serialization.Encoding.PEM)
        )
    renewal = pki.issue_client(
        "renewal",
        "Maître Une",
        not_before=now + timedelta(days=10),
        not_after=now + timedelta(days=400),
    )
    row = certificates.register_certificate(world.officer, renewal.issued.pem)
    with pytest.raises(CertificateRefused) as caught:  # not before its date
        certificates.identify("SUCCESS", escaped(renewal.issued.pem))
    assert caught.value.reason == "not_yet_valid"
    later = now + timedelta(days=11)
    assert certificates.identify("SUCCESS", escaped(renewal.issued.pem), now=later) == row


def test_revocation_is_journaled_once(world, registered):
    colon_form = ":".join(registered.fingerprint[i : i + 2].upper() for i in range(0, 64, 2))
    certificates.revoke_certificate(colon_form)
    certificates.revoke_certificate(registered.fingerprint)
    registered.refresh_from_db()
    assert registered.revoked_at is not None
    assert len(entries("identity:certificate:revoked")) == 1
    with pytest.raises(NotFound):
        certificates.revoke_certificate("00" * 32)
    with pytest.raises(CertificateError):
        certificates.revoke_certificate("pas une empreinte")


# --- mapping a presented certificate ---------------------------------------------------------


def test_a_registered_certificate_maps_to_its_officer(world, registered, officer_cert):
    user = certificates.officer_for_certificate(escaped(officer_cert.issued.pem), "SUCCESS")
    assert user == world.officer


@pytest.mark.parametrize(
    ("status", "with_cert", "reason"),
    [
        ("", False, "no_certificate"),
        ("NONE", False, "no_certificate"),
        ("SUCCESS", False, "no_certificate"),
        ("FAILED:certificate has expired", True, "expired"),
        ("FAILED:certificate revoked", True, "revoked"),
        ("FAILED:unable to get local issuer certificate", True, "untrusted_issuer"),
        ("FAILED:CRL has expired", True, "server_side"),
        ("FAILED:unsupported certificate purpose", True, "proxy_failed"),
        ("GENEROUS", True, "proxy_failed"),
    ],
)
def test_what_the_proxy_says_is_obeyed(registered, officer_cert, status, with_cert, reason):
    pem = escaped(officer_cert.issued.pem) if with_cert else ""
    with pytest.raises(CertificateRefused) as caught:
        certificates.officer_for_certificate(pem, status)
    assert caught.value.reason == reason
    assert caught.value.status == 403
    if reason == "proxy_failed" and status.startswith("FAILED"):
        assert "unsupported certificate purpose" in caught.value.message  # nginx's words


def test_sceau_checks_dates_and_its_own_revocation_again(world, registered, officer_cert):
    pem = escaped(officer_cert.issued.pem)
    cert = officer_cert.issued.cert
    for moment, reason in (
        (cert.not_valid_after_utc + timedelta(seconds=1), "expired"),
        (cert.not_valid_before_utc - timedelta(seconds=1), "not_yet_valid"),
    ):
        with pytest.raises(CertificateRefused) as caught:
            certificates.identify("SUCCESS", pem, now=moment)
        assert caught.value.reason == reason
    certificates.revoke_certificate(registered.fingerprint)
    with pytest.raises(CertificateRefused) as caught:
        certificates.identify("SUCCESS", pem)  # nginx's CRL does not list it yet
    assert caught.value.reason == "revoked"


def test_unknown_certificates_and_twins_do_not_get_in(world, pki, registered, officer_cert):
    stranger = pki.issue_client("stranger", "Inconnu")
    with pytest.raises(CertificateRefused) as caught:
        certificates.identify("SUCCESS", escaped(stranger.issued.pem))
    assert caught.value.reason == "unknown"
    assert stranger.fingerprint in caught.value.parsed.fingerprint
    twin = _twin(pki, officer_cert.issued.cert).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(CertificateRefused) as caught:
        certificates.identify("SUCCESS", escaped(twin))
    assert (caught.value.reason, caught.value.detail) == ("unknown", "serial_collision")


def test_only_active_officers_and_auditors_are_mapped(world, registered, officer_cert):
    pem = escaped(officer_cert.issued.pem)
    User.objects.filter(pk=world.officer.pk).update(is_active=False)
    with pytest.raises(CertificateRefused) as caught:
        certificates.identify("SUCCESS", pem)
    assert caught.value.reason == "inactive"
    User.objects.filter(pk=world.officer.pk).update(is_active=True, role=User.CREDITOR)
    with pytest.raises(CertificateRefused) as caught:
        certificates.identify("SUCCESS", pem)
    assert caught.value.reason == "inactive"
    auditor = services.create_officer(None, "audit@sceau.test", "Auditrice", PASSWORD, "auditor")
    OfficerCertificate.objects.filter(pk=registered.pk).update(user=auditor)
    assert certificates.officer_for_certificate(pem, "SUCCESS") == auditor


# --- trust of the proxy ------------------------------------------------------------------------


def test_client_ip_comes_from_the_trusted_proxy_only(proxied):
    factory = RequestFactory()
    trusted = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="203.0.113.7")
    assert is_trusted_proxy(trusted) and client_ip(trusted) == "203.0.113.7"
    mapped = factory.get("/", REMOTE_ADDR=f"::ffff:{PROXY}", HTTP_X_REAL_IP="2001:db8::1")
    assert client_ip(mapped) == "2001:db8::1"
    garbled = factory.get("/", REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="203.0.113.7, 10.0.0.1")
    assert client_ip(garbled) == PROXY
    outsider = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert not is_trusted_proxy(outsider) and client_ip(outsider) == "127.0.0.1"


def test_nobody_is_trusted_by_default():
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert not is_trusted_proxy(request)
    assert client_ip(request) == "127.0.0.1"


def test_forged_proxy_headers_are_removed_and_journaled_once_a_minute(proxied, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    seen = {}

    def view(request):
        seen["secure"] = request.is_secure()
        seen["headers"] = sorted(k for k in request.META if k.startswith("HTTP_X_"))
        return None

    middleware = ProxyHeadersMiddleware(view)
    forged = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_SSL_CLIENT_VERIFY": "SUCCESS",
        "HTTP_X_SSL_CLIENT_CERT": "x",
        "HTTP_X_SSL_CLIENT_S_DN": "CN=x",
        "HTTP_X_REAL_IP": "203.0.113.7",
        "HTTP_X_OTHER": "kept",
    }
    for _ in range(3):
        middleware(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", **forged))
        assert seen == {"secure": False, "headers": ["HTTP_X_OTHER"]}
    [entry] = entries("identity:certificate:untrusted_header")
    assert entry.details["ip"] == "127.0.0.1"
    assert "X-SSL-CLIENT-CERT" in entry.details["headers"]
    middleware(RequestFactory().get("/", REMOTE_ADDR="127.0.0.9", **forged))
    assert len(entries("identity:certificate:untrusted_header")) == 2  # per address
    middleware(RequestFactory().get("/", REMOTE_ADDR=PROXY, **forged))
    assert seen["secure"] is True and "HTTP_X_SSL_CLIENT_CERT" in seen["headers"]
    assert len(entries("identity:certificate:untrusted_header")) == 2


# --- web sign-in --------------------------------------------------------------------------------


def test_sign_in_with_a_certificate(proxied, world, registered, officer_cert):
    client = Client()
    page = client.get("/connexion/certificat/", **via(officer_cert.issued.pem))
    assert page.status_code == 200
    assert "Maître Une" in page.content.decode() and "Se connecter avec ce certificat" in (
        page.content.decode()
    )
    before = client.cookies.get("sessionid")
    answer = client.post("/connexion/certificat/", **via(officer_cert.issued.pem))
    assert answer.status_code == 302 and answer["Location"] == "/etude/"
    assert client.cookies["sessionid"].value != (before.value if before else "")
    assert client.session[SESSION_FINGERPRINT_KEY] == officer_cert.fingerprint
    [entry] = entries("identity:officer:login_succeeded")
    assert entry.details == {
        "ip": "203.0.113.7",
        "method": "certificate",
        "fingerprint": officer_cert.fingerprint,
    }
    assert client.get("/etude/", **via(officer_cert.issued.pem)).status_code == 200


def test_next_is_followed_only_on_this_site(proxied, registered, officer_cert):
    client = Client()
    meta = via(officer_cert.issued.pem)
    answer = client.post("/connexion/certificat/", {"next": "/etude/creances/"}, **meta)
    assert answer["Location"] == "/etude/creances/"
    answer = Client().post("/connexion/certificat/", {"next": "https://evil.test/"}, **meta)
    assert answer["Location"] == "/etude/"


@pytest.mark.parametrize("case", ["unknown", "no_certificate", "revoked", "expired_by_nginx"])
def test_refusals_are_clear_pages_and_journaled(proxied, world, pki, registered, case):
    pem, status = None, "SUCCESS"
    if case == "unknown":
        pem = pki.issue_client("unknown", "Inconnu").issued.pem
    elif case == "revoked":
        pem = pki.load_client("one").issued.pem
        certificates.revoke_certificate(registered.fingerprint)
    elif case == "expired_by_nginx":
        pem, status = pki.load_client("one").issued.pem, "FAILED:certificate has expired"
    client = Client()
    answer = client.post("/connexion/certificat/", **via(pem, status))
    text = answer.content.decode()
    assert answer.status_code == 403
    assert "_auth_user_id" not in client.session
    expected = {
        "unknown": "Donnez son empreinte SHA-256",
        "no_certificate": "Aucun certificat",
        "revoked": "révoqué",
        "expired_by_nginx": "a expiré le",
    }[case]
    assert expected in text
    if pem is not None:
        assert certificates.parse_certificate(pem).fingerprint in text
    [entry] = entries("identity:officer:login_failed")
    assert entry.details["method"] == "certificate"
    assert entry.details["reason"] == case.removesuffix("_by_nginx")
    assert entry.details["ip"] == "203.0.113.7"
    client.post("/connexion/certificat/", **via(pem, status))  # the same again: not journaled
    assert len(entries("identity:officer:login_failed")) == 1


def test_forged_headers_from_an_untrusted_address_do_not_sign_in(proxied, registered, officer_cert):
    client = Client()
    answer = client.post("/connexion/certificat/", **via(officer_cert.issued.pem, peer="127.0.0.1"))
    assert answer.status_code == 403 and "Aucun certificat" in answer.content.decode()
    assert "_auth_user_id" not in client.session
    [entry] = entries("identity:certificate:untrusted_header")
    assert entry.details["ip"] == "127.0.0.1"
    [failed] = entries("identity:officer:login_failed")
    assert (failed.details["reason"], failed.details["ip"]) == ("no_certificate", "127.0.0.1")


def test_csrf_is_enforced_on_the_sign_in(proxied, registered, officer_cert):
    client = Client(enforce_csrf_checks=True)
    answer = client.post("/connexion/certificat/", **via(officer_cert.issued.pem))
    assert answer.status_code == 403
    assert "_auth_user_id" not in client.session
    assert entries("identity:officer:login_succeeded") == []


def test_the_refusal_page_of_nginx(proxied, registered, officer_cert):
    meta = via(officer_cert.issued.pem, "FAILED:certificate revoked")
    answer = Client().get("/connexion/certificat/refus/", **meta)
    assert answer.status_code == 403 and "révoqué" in answer.content.decode()
    assert entries("identity:officer:login_failed")[0].details["proxy_status"] == (
        "FAILED:certificate revoked"
    )
    answer = Client().get("/connexion/certificat/refus/", **via(None, "NONE", peer="127.0.0.1"))
    assert answer.status_code == 403 and "Aucun certificat" in answer.content.decode()
    answer = Client().get("/connexion/certificat/refus/", **via(officer_cert.issued.pem))
    assert answer.status_code == 302 and answer["Location"] == "/connexion/certificat/"
    assert Client().post("/connexion/certificat/refus/", **meta).status_code == 405
    assert len(entries("identity:officer:login_failed")) == 1


# --- sessions bound to the certificate ------------------------------------------------------------


@pytest.fixture
def signed_in(proxied, registered, officer_cert) -> Client:
    client = Client()
    assert client.post("/connexion/certificat/", **via(officer_cert.issued.pem)).status_code == 302
    return client


def _ended(client: Client, officer_cert) -> bool:
    """Whether the session is over, as seen with the right certificate afterwards."""
    answer = client.get("/etude/", **via(officer_cert.issued.pem))
    return answer.status_code == 302 and answer["Location"].startswith("/connexion/")


def test_a_request_without_the_certificate_ends_the_session(signed_in, officer_cert):
    answer = signed_in.get("/etude/", REMOTE_ADDR=PROXY)
    assert answer.status_code == 302 and answer["Location"] == "/connexion/"
    page = signed_in.get("/connexion/")
    assert "Votre session a été fermée" in page.content.decode()
    assert _ended(signed_in, officer_cert)
    [entry] = entries("identity:officer:session_ended")
    assert entry.details["reason"] == "no_certificate"


def test_another_certificate_ends_the_session(signed_in, world, officer_cert, other_cert):
    certificates.register_certificate(world.officer, other_cert.issued.pem)  # also hers
    answer = signed_in.get("/etude/", **via(other_cert.issued.pem))
    assert answer.status_code == 302
    assert entries("identity:officer:session_ended")[0].details["reason"] == "changed"
    assert _ended(signed_in, officer_cert)


def test_revocation_ends_the_session_at_the_next_request(signed_in, registered, officer_cert):
    certificates.revoke_certificate(registered.fingerprint)
    assert signed_in.get("/etude/", **via(officer_cert.issued.pem)).status_code == 302
    assert entries("identity:officer:session_ended")[0].details["reason"] == "revoked"


def test_the_same_certificate_from_an_untrusted_address_ends_the_session(signed_in, officer_cert):
    answer = signed_in.get("/etude/", **via(officer_cert.issued.pem, peer="127.0.0.1"))
    assert answer.status_code == 302
    assert _ended(signed_in, officer_cert)


# --- password sign-in of officers switched off --------------------------------------------------


@pytest.fixture
def certificates_only(settings):
    settings.CONFIG = dataclasses.replace(settings.CONFIG, officer_password_login=False)


def test_officers_cannot_use_the_password_when_it_is_off(certificates_only, world):
    with pytest.raises(AuthenticationFailed) as refused:
        services.authenticate_officer("one@etude.test", PASSWORD, otp_for(world.officer), "1.2.3.4")
    with pytest.raises(AuthenticationFailed) as unknown:
        services.authenticate_officer("nobody@etude.test", PASSWORD, "123456", "1.2.3.4")
    assert refused.value.message == unknown.value.message  # nothing tells the account exists
    assert services.CERTIFICATE_HINT in refused.value.message
    failed = entries("identity:officer:login_failed")
    assert failed[0].details["reason"] == "password_login_disabled"
    assert "reason" not in failed[1].details
    auditor = services.create_officer(None, "audit@sceau.test", "Auditrice", PASSWORD, "auditor")
    with pytest.raises(AuthenticationFailed):
        services.authenticate_officer("audit@sceau.test", PASSWORD, otp_for(auditor), "1.2.3.5")
    creditor, token = services.register_creditor("c@example.test", "Créancier", PASSWORD)
    services.verify_email(token)
    assert services.authenticate_officer("c@example.test", PASSWORD, otp_for(creditor), "1.2.3.6")


def test_the_login_page_sends_officers_to_their_certificate(certificates_only, world):
    page = Client().get("/connexion/").content.decode()
    assert "connectez-vous avec votre certificat" in page
    assert 'action="/connexion/certificat/"' in page
    answer = Client().post(
        "/connexion/",
        {"email": "one@etude.test", "password": PASSWORD, "otp": otp_for(world.officer)},
    )
    assert answer.status_code == 401
    assert services.CERTIFICATE_HINT in answer.content.decode().replace("&#x27;", "'")


def test_an_officer_password_session_ends_when_it_is_off(world, settings):
    client = Client()
    client.force_login(world.officer)
    assert client.get("/etude/").status_code == 200
    settings.CONFIG = dataclasses.replace(settings.CONFIG, officer_password_login=False)
    assert client.get("/etude/").status_code == 302
    assert entries("identity:officer:session_ended")[0].details["reason"] == (
        "not_certificate_session"
    )


# --- `sceau accounts` ---------------------------------------------------------------------------


def test_accounts_add_list_and_revoke_certificates(world, officer_cert, capsys):
    call_command(
        "accounts",
        "add-certificate",
        "--email",
        "ONE@etude.test",
        "--cert",
        str(officer_cert.cert_path),
    )
    out = capsys.readouterr().out
    assert officer_cert.fingerprint in out and "enregistré pour one@etude.test" in out
    call_command("accounts", "list")
    assert f"certificat 1 {officer_cert.fingerprint}" in capsys.readouterr().out.replace(
        f"certificat {OfficerCertificate.objects.get().pk} ", "certificat 1 "
    )
    call_command("accounts", "revoke-certificate", "--fingerprint", officer_cert.fingerprint)
    assert "révoqué" in capsys.readouterr().out
    call_command("accounts", "list")
    assert "révoqué" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["add-certificate", "--email", "nobody@etude.test", "--cert", "/etc/hostname"],
        ["add-certificate", "--email", "one@etude.test", "--cert", "/nonexistent.pem"],
        ["add-certificate", "--email", "one@etude.test", "--cert", "/etc/hostname"],
        ["revoke-certificate", "--fingerprint", "abc"],
        ["revoke-certificate", "--fingerprint", "00" * 32],
    ],
)
def test_accounts_bad_certificate_input_exits_2(world, args):
    with pytest.raises(CommandError) as caught:
        call_command("accounts", *args)
    assert caught.value.returncode == 2
    assert "\n" not in str(caught.value)
