import time

import pyotp
import pytest
from django.core.cache import cache
from django.utils import timezone
from tests.helpers import PASSWORD, otp_for

from sceau.core.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from sceau.identity import codes, services
from sceau.identity.models import AccessCredential, ApiToken
from sceau.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_officer_logs_in_with_password_and_totp(world):
    user = services.authenticate_officer(
        "ONE@etude.test", PASSWORD, otp_for(world.officer), "1.2.3.4"
    )
    assert user == world.officer
    assert JournalEntry.objects.filter(action="identity:officer:login_succeeded").exists()


@pytest.mark.parametrize("case", ["unknown", "password", "otp"])
def test_every_login_failure_gets_the_same_answer(world, case):
    email, password, otp = "one@etude.test", PASSWORD, otp_for(world.officer)
    if case == "unknown":
        email = "nobody@etude.test"
    elif case == "password":
        password = "wrong password"
    else:
        otp = "000000" if otp != "000000" else "111111"
    with pytest.raises(AuthenticationFailed) as caught:
        services.authenticate_officer(email, password, otp, "1.2.3.4")
    assert caught.value.message == AuthenticationFailed().message
    assert JournalEntry.objects.filter(action="identity:officer:login_failed").count() == 1


def test_a_totp_code_cannot_be_replayed(world):
    otp = otp_for(world.officer)
    services.authenticate_officer("one@etude.test", PASSWORD, otp, "1.2.3.4")
    with pytest.raises(AuthenticationFailed):
        services.authenticate_officer("one@etude.test", PASSWORD, otp, "1.2.3.4")


def test_officer_login_is_throttled_then_locked(world, settings):
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            services.authenticate_officer("one@etude.test", "bad", "000000", "9.9.9.9")
    with pytest.raises(TooManyAttempts) as caught:  # backoff after the second failure
        services.authenticate_officer("one@etude.test", PASSWORD, otp_for(world.officer), "9.9.9.9")
    assert caught.value.retry_after >= 1


def test_api_tokens_are_stored_hashed_and_revocable(world):
    raw = services.issue_api_token(world.officer, "logiciel")
    token = ApiToken.objects.get(name="logiciel")
    assert raw not in (token.digest, token.prefix) and token.prefix in raw
    assert services.user_for_api_token(raw) == world.officer
    assert services.user_for_api_token(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert services.user_for_api_token("sct_nothing") is None
    services.revoke_api_token(world.officer, token.pk)
    assert services.user_for_api_token(raw) is None


def test_credentials_are_hashed_and_reissue_revokes_the_old_code(world):
    cred, issued = services.issue_credential("pieces.recipient", 4242)
    assert issued.code not in cred.code_hash and cred.code_hash.startswith("$argon2id$")
    assert services.verify_credential(issued.identifier, issued.code, "1.1.1.1") == cred
    # lowercase, spaces instead of dashes: still accepted
    sloppy = issued.code.lower().replace("-", " ")
    assert services.verify_credential(issued.identifier.lower(), sloppy, "1.1.1.1") == cred
    session = services.open_access_session(cred)
    _, again = services.issue_credential("pieces.recipient", 4242)
    assert again.identifier == issued.identifier and again.code != issued.code
    with pytest.raises(AuthenticationFailed):
        services.verify_credential(issued.identifier, issued.code, "1.1.1.2")
    assert services.credential_for_access_token(session) is None  # old sessions end
    assert services.verify_credential(again.identifier, again.code, "1.1.1.3").pk == cred.pk


def test_a_typo_in_the_code_is_reported_as_such(world):
    _, issued = services.issue_credential("pieces.recipient", 7)
    compact = codes.normalize_code(issued.code)
    alphabet = codes.ALPHABET
    wrong = alphabet[(alphabet.index(compact[3]) + 1) % len(alphabet)]
    typo = compact[:3] + wrong + compact[4:]
    with pytest.raises(AuthenticationFailed) as caught:
        services.verify_credential(issued.identifier, typo, "1.1.1.1")
    assert "faute de frappe" in caught.value.message


def test_credential_login_locks_after_repeated_failures(world, settings):
    _, issued = services.issue_credential("pieces.recipient", 8)
    bad = codes.generate_code()
    limit = settings.CONFIG.login_failures_before_lock
    clock = [time.time()]
    from sceau.identity import throttle

    original = throttle.Throttle.__init__

    def fast(self, policy=None, clock_fn=None):
        original(self, policy, lambda: clock[0])

    throttle.Throttle.__init__ = fast
    try:
        for _ in range(limit):
            with pytest.raises(AuthenticationFailed):
                services.verify_credential(issued.identifier, bad, f"10.0.0.{_}")
            clock[0] += 120  # wait out the backoff, different address each time
        with pytest.raises(TooManyAttempts) as caught:  # locked per identifier
            services.verify_credential(issued.identifier, issued.code, "10.0.1.1")
        assert "bloqué" in caught.value.message
        clock[0] += settings.CONFIG.login_lock_seconds + 1
        assert services.verify_credential(issued.identifier, issued.code, "10.0.1.1")
    finally:
        throttle.Throttle.__init__ = original


def test_access_sessions_expire_when_idle(world, settings):
    cred, _ = services.issue_credential("pieces.recipient", 9)
    raw = services.open_access_session(cred)
    assert services.credential_for_access_token(raw) == cred
    from sceau.identity.models import AccessSession

    AccessSession.objects.update(
        last_seen_at=timezone.now()
        - timezone.timedelta(seconds=settings.CONFIG.recipient_session_seconds + 1)
    )
    assert services.credential_for_access_token(raw) is None
    assert AccessCredential.objects.filter(pk=cred.pk).exists()


def test_totp_secret_is_usable_by_an_authenticator(world):
    assert len(pyotp.TOTP(world.officer.totp_secret).now()) == 6


def test_holder_may_sign_in_with_a_password_of_their_own(world):
    cred, issued = services.issue_credential("creances.claim", 77)
    # A password to correct, not a failed sign-in (issue #10: it was AuthenticationFailed).
    with pytest.raises(InvalidInput):
        services.set_holder_password(cred, "court")  # too short
    services.set_holder_password(cred, "mon mot de passe à moi 2026")
    cred.refresh_from_db()
    assert cred.password_hash.startswith("$argon2id$")
    assert services.verify_credential(issued.identifier, "mon mot de passe à moi 2026", "1.1.1.1")
    assert services.verify_credential(issued.identifier, issued.code, "1.1.1.2")  # still works
    with pytest.raises(AuthenticationFailed) as caught:
        services.verify_credential(issued.identifier, "pas le bon mot de passe", "1.1.1.3")
    assert "vérifiez-le" in caught.value.message  # the same words as for anyone (R14)


def test_reissuing_the_code_also_revokes_a_chosen_password(world):
    cred, issued = services.issue_credential("creances.claim", 78)
    services.set_holder_password(cred, "mon mot de passe à moi 2026")
    _, again = services.issue_credential("creances.claim", 78)
    with pytest.raises(AuthenticationFailed):
        services.verify_credential(issued.identifier, "mon mot de passe à moi 2026", "1.1.1.9")
    assert services.verify_credential(again.identifier, again.code, "1.1.1.8")


def test_the_answer_never_tells_whether_an_identifier_exists_or_has_a_password(world):
    """ANSSI R14: same answer for an unknown identifier, a known one, one with a password."""
    from sceau.identity.models import AccessCredential

    _, plain = services.issue_credential("pieces.recipient", 21)
    _, protected = services.issue_credential("pieces.recipient", 22)
    services.set_holder_password(
        AccessCredential.objects.get(identifier=protected.identifier), "a long holder password 9"
    )
    unknown = codes.generate_identifier()
    compact = codes.normalize_code(plain.code)
    alphabet = codes.ALPHABET
    typo = compact[:3] + alphabet[(alphabet.index(compact[3]) + 1) % len(alphabet)] + compact[4:]
    for attempt in (typo, "not a code at all!", codes.generate_code()):
        cache.clear()  # each round starts without backoff
        answers = set()
        for n, identifier in enumerate((plain.identifier, protected.identifier, unknown)):
            with pytest.raises(AuthenticationFailed) as caught:
                services.verify_credential(identifier, attempt, f"192.0.2.{n}")
            answers.add((caught.value.code, caught.value.message, caught.value.status))
        assert len(answers) == 1, (attempt, answers)
    # and the password still lets its holder in, the code too
    cache.clear()  # the failures above made the next attempts wait
    assert services.verify_credential(protected.identifier, "a long holder password 9", "192.0.2.9")
    assert services.verify_credential(protected.identifier, protected.code, "192.0.2.9")
