"""Every transition of the procedure, and every refusal (nothing stored changes)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from tests.helpers import TODAY, claim_input, make_pdf

from sceau.core.errors import InvalidInput, PermissionDenied
from sceau.creances import machine, rules, services
from sceau.creances.holders import DEBTORS
from sceau.creances.models import Claim, Proposal
from sceau.identity.principals import Principal
from sceau.journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def unchanged(claim: Claim):
    before = Claim.objects.filter(pk=claim.pk).values().get()
    return lambda: Claim.objects.filter(pk=claim.pk).values().get() == before


def test_eligibility_is_checked_and_explained(cast):
    office = cast.officer.office
    with pytest.raises(machine.Ineligible, match="contractuelle"):
        machine.file_claim(cast.creditor, office, claim_input(basis="tort"), cast.creditor)
    with pytest.raises(machine.Ineligible, match="plafond de 5000"):
        machine.file_claim(
            cast.creditor, office, claim_input(principal="4990", interest="20"), cast.creditor
        )
    with pytest.raises(machine.Ineligible, match="ressort"):
        machine.file_claim(
            cast.creditor, office, claim_input(debtor_postal_code="13001"), cast.creditor
        )
    with pytest.raises(InvalidInput):
        machine.file_claim(cast.creditor, office, claim_input(principal="12,5"), cast.creditor)
    assert not Claim.objects.exists()
    claim = machine.file_claim(
        cast.creditor, office, claim_input(principal="4964.50", interest="35.50"), cast.creditor
    )
    assert claim.state == machine.REQUESTED and claim.total == Decimal("5000.00")


def test_ceiling_is_a_dated_setting():
    assert rules.ceiling(rules.DEFAULT_RULES, date(2019, 12, 31)) == Decimal("4000.00")
    assert rules.ceiling(rules.DEFAULT_RULES, date(2020, 1, 1)) == Decimal("5000.00")


def test_corsica_and_overseas_departments():
    assert machine.department_of("20000") == "2A" and machine.department_of("20200") == "2B"
    assert machine.department_of("97400") == "974" and machine.department_of("69003") == "69"


def test_mandate_accept_decline_and_refusals(cast):
    claim = machine.file_claim(cast.creditor, cast.officer.office, claim_input(), cast.creditor)
    with pytest.raises(PermissionDenied):
        machine.decide_mandate(cast.outsider, claim, True, "")
    with pytest.raises(InvalidInput):
        machine.decide_mandate(cast.officer, claim, False, "")  # a refusal says why
    machine.decide_mandate(cast.officer, claim, False, "Conflit d'intérêts")
    claim.refresh_from_db()
    assert claim.state == machine.DECLINED and claim.decision_reason
    same = unchanged(claim)
    with pytest.raises(machine.TransitionRefused):
        machine.decide_mandate(cast.officer, claim, True, "")
    assert same()


def test_invitation_sets_the_deadline_and_issues_credentials(cast, invited):
    claim = invited.claim
    assert claim.state == machine.INVITED
    assert claim.answer_deadline == machine.answer_deadline(claim.invitation_sent_on)
    assert invited.pdf.startswith(b"%PDF") and invited.code
    with pytest.raises(machine.TransitionRefused):
        services.invite(cast.officer, claim, TODAY, "post")


def test_email_invitation_never_sends_link_and_code_together(cast):
    claim = machine.file_claim(cast.creditor, cast.officer.office, claim_input(), cast.creditor)
    machine.decide_mandate(cast.officer, claim, True, "")
    sent = services.invite(cast.officer, claim, TODAY, "email")
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        has_link = "/acces/" in message.body
        has_code = sent.code in message.body
        assert not (has_link and has_code)
    assert any(sent.code in m.body for m in mail.outbox)


@pytest.mark.parametrize(
    ("sent", "deadline"),
    [
        (date(2026, 1, 31), date(2026, 3, 2)),  # 28 Feb 2026 is a Saturday -> Monday 2 March
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year, Tuesday
        (date(2025, 6, 14), date(2025, 7, 15)),  # 14 July (holiday, Monday) -> 15
        (date(2026, 3, 6), date(2026, 4, 7)),  # Easter Monday 6 April 2026 -> 7
        (date(2026, 4, 8), date(2026, 5, 11)),  # 8 May 2026 (holiday, Friday) -> Monday 11
        (date(2026, 11, 1), date(2026, 12, 1)),
    ],
)
def test_answer_deadline(sent, deadline):
    assert machine.answer_deadline(sent) == deadline


def test_debtor_accepts_then_second_acceptance_is_refused(invited):
    claim = services.debtor_answer(invited.claim, "accept")
    assert claim.state == machine.ACCEPTED
    same = unchanged(claim)
    with pytest.raises(machine.TransitionRefused):
        services.debtor_answer(claim, "accept")
    assert same()


def test_answer_after_the_deadline_is_refused(invited):
    claim = invited.claim
    Claim.objects.filter(pk=claim.pk).update(answer_deadline=TODAY - timedelta(days=1))
    claim.refresh_from_db()
    same = unchanged(claim)
    with pytest.raises(machine.TransitionRefused, match="silence vaut refus"):
        services.debtor_answer(claim, "accept")
    assert same()


def test_silence_at_the_deadline_is_refusal_with_notices(invited):
    from sceau.notary.services import notices_for_claim

    claim = invited.claim
    assert services.apply_silence(claim.answer_deadline) == 0  # the deadline day still counts
    assert services.apply_silence(claim.answer_deadline + timedelta(days=1)) == 1
    claim.refresh_from_db()
    assert claim.state == machine.REFUSED
    parties = set(notices_for_claim(claim.pk).filter(kind="event").values_list("party", flat=True))
    assert parties == {"creditor", "debtor"}
    assert machine.allowed_outcome(claim) == machine.REFUSED_PARTICIPATION


def test_proposal_rules(cast, invited):
    claim = services.debtor_answer(invited.claim, "accept")
    soon = (TODAY + timedelta(days=30)).isoformat()
    later = (TODAY + timedelta(days=60)).isoformat()
    same = unchanged(claim)
    with pytest.raises(machine.TransitionRefused, match="totalisent"):
        machine.propose(
            cast.officer,
            claim,
            "1000.00",
            [{"due": soon, "amount": "500.00"}, {"due": later, "amount": "400.00"}],
        )
    with pytest.raises(machine.TransitionRefused, match="compris"):
        machine.propose(cast.officer, claim, "9999.00", [{"due": soon, "amount": "9999.00"}])
    with pytest.raises(InvalidInput, match="se suivre"):
        machine.propose(
            cast.officer,
            claim,
            "1000.00",
            [{"due": later, "amount": "500.00"}, {"due": soon, "amount": "500.00"}],
        )
    with pytest.raises(PermissionDenied):
        machine.propose(cast.outsider, claim, "1000.00", [{"due": soon, "amount": "1000.00"}])
    assert same() and not Proposal.objects.exists()
    first = machine.propose(cast.officer, claim, "1000.00", [{"due": soon, "amount": "1000.00"}])
    second = machine.propose(
        cast.officer,
        claim,
        "1100.00",
        [{"due": soon, "amount": "600.00"}, {"due": later, "amount": "500.00"}],
    )
    first.refresh_from_db()
    assert first.status == Proposal.SUPERSEDED and second.status == Proposal.OPEN


def test_agreement_needs_both_parties_and_one_answer_each(cast, invited):
    claim = services.debtor_answer(invited.claim, "accept")
    due = (TODAY + timedelta(days=30)).isoformat()
    machine.propose(cast.officer, claim, "1000.00", [{"due": due, "amount": "1000.00"}])
    machine.answer_proposal(claim, "debtor", True)
    with pytest.raises(machine.TransitionRefused, match="déjà répondu"):
        machine.answer_proposal(claim, "debtor", True)
    claim.refresh_from_db()
    assert claim.state == machine.ACCEPTED
    machine.answer_proposal(claim, "creditor", True)
    claim.refresh_from_db()
    assert claim.state == machine.AGREED and machine.allowed_outcome(claim) == machine.AGREEMENT


def test_refused_terms_then_outcome(cast, invited):
    from tests.helpers import signing_secret

    claim = services.debtor_answer(invited.claim, "accept")
    due = (TODAY + timedelta(days=30)).isoformat()
    machine.propose(cast.officer, claim, "1000.00", [{"due": due, "amount": "1000.00"}])
    machine.answer_proposal(claim, "creditor", False)
    claim.refresh_from_db()
    assert machine.allowed_outcome(claim) == machine.TERMS_REFUSED
    with pytest.raises(machine.TransitionRefused):
        services.record_outcome(cast.officer, claim, machine.AGREEMENT, signing_secret())
    claim = services.record_outcome(cast.officer, claim, machine.TERMS_REFUSED, signing_secret())
    assert claim.state == machine.CLOSED and claim.record_pdf and not claim.title_pdf
    lim = machine.limitation(claim)
    assert lim["suspended_from"] and lim["at_least_until"] > lim["runs_again_from"]


def test_no_agreement_in_time(cast, invited):
    from tests.helpers import signing_secret

    claim = services.debtor_answer(invited.claim, "accept")
    assert machine.allowed_outcome(claim) is None
    Claim.objects.filter(pk=claim.pk).update(answer_deadline=TODAY - timedelta(days=1))
    claim.refresh_from_db()
    with pytest.raises(machine.TransitionRefused, match="expiré"):
        machine.propose(cast.officer, claim, "1.00", [])
    claim = services.record_outcome(
        cast.officer, claim, machine.NO_AGREEMENT_IN_TIME, signing_secret()
    )
    assert claim.outcome == machine.NO_AGREEMENT_IN_TIME


def test_messages_go_through_the_journal(cast, invited):
    claim = invited.claim
    debtor = DEBTORS.principal(claim)
    services.post_message(debtor, claim, "Je propose 900 €", counter_amount="900.00")
    assert JournalEntry.objects.filter(action="creances:message:posted").count() == 1
    with pytest.raises(InvalidInput):
        services.post_message(debtor, claim, "   ")


def test_fees_are_the_creditors_only(cast):
    claim = machine.file_claim(cast.creditor, cast.officer.office, claim_input(), cast.creditor)
    fees, checked = services.fees_for(claim)
    assert fees and all(f.amount > 0 for f in fees) and checked is False


def test_refusals_at_the_edges_change_nothing(cast, invited):
    from tests.helpers import signing_secret

    claim = invited.claim  # invited: no outcome can be recorded yet
    same = unchanged(claim)
    for outcome in machine.OUTCOMES:
        with pytest.raises(machine.TransitionRefused):
            services.record_outcome(cast.officer, claim, outcome, signing_secret())
    with pytest.raises(InvalidInput):
        services.record_outcome(cast.officer, claim, "payment_received", signing_secret())
    with pytest.raises(machine.TransitionRefused):  # no proposal before the debtor accepts
        machine.propose(cast.officer, claim, "10.00", [])
    with pytest.raises(machine.TransitionRefused):
        machine.answer_proposal(claim, "creditor", True)
    assert same()
    services.debtor_answer(claim, "refuse")
    claim.refresh_from_db()
    services.record_outcome(cast.officer, claim, machine.REFUSED_PARTICIPATION, signing_secret())
    with pytest.raises(machine.TransitionRefused):  # closed: no more messages
        services.post_message(Principal.for_user(cast.creditor), claim, "encore ?")
    claim.refresh_from_db()
    closed = unchanged(claim)
    with pytest.raises(machine.TransitionRefused):
        services.record_outcome(
            cast.officer, claim, machine.REFUSED_PARTICIPATION, signing_secret()
        )
    assert closed()


def test_silence_and_its_notices_commit_together(invited, monkeypatch):
    """Found (issue #10): the refusals were committed, then their notices created in later
    transactions; a crash in between left refused claims without notices."""
    from sceau.notary.models import Notice

    claim = invited.claim
    Claim.objects.filter(pk=claim.pk).update(answer_deadline=TODAY - timedelta(days=1))

    def crash(*args, **kwargs):
        raise RuntimeError("the process died before the notices")

    monkeypatch.setattr(services, "_notify", crash)
    with pytest.raises(RuntimeError):
        services.apply_silence()
    claim.refresh_from_db()
    assert claim.state == machine.INVITED  # nothing half done: the worker will try again
    assert not JournalEntry.objects.filter(action="creances:claim:silence_as_refusal").exists()
    monkeypatch.undo()
    assert services.apply_silence() == 1
    entry = JournalEntry.objects.get(action="creances:claim:silence_as_refusal")
    notices = Notice.objects.filter(case_kind="claim", case_id=claim.pk, kind="event")
    assert {n.party for n in notices.filter(event_journal_index=entry.index)} == {
        "creditor",
        "debtor",
    }


def test_the_answer_s_notices_name_the_entry_the_answer_wrote(invited):
    """Found (issue #10): debtor_answer found 'its' entry by querying the claim's latest one."""
    from sceau.notary.models import Notice

    claim = services.debtor_answer(invited.claim, "refuse")
    entry = JournalEntry.objects.get(action="creances:claim:debtor_refused")
    noticed = Notice.objects.filter(case_kind="claim", case_id=claim.pk, kind="event")
    assert [n.event_journal_index for n in noticed] == [entry.index, entry.index]


@pytest.mark.parametrize("state", machine.STATES)
def test_the_message_form_is_offered_exactly_when_the_service_takes_a_message(invited, state):
    """Found (issue #10): a page offered the message form in a state where the service
    answered 409; both now ask creances.policy."""
    from sceau.creances import policy

    claim = invited.claim
    Claim.objects.filter(pk=claim.pk).update(state=state)
    claim.refresh_from_db()
    try:
        services.post_message(DEBTORS.principal(claim), claim, "Bonjour")
        taken = True
    except machine.TransitionRefused:
        taken = False
    assert policy.can_message(claim) == taken


def test_a_damaged_attachment_is_refused_before_sending_and_journaled(invited):
    """Found (issue #10): pieces.consult checked integrity before sending and journaled
    failures, creances.consult_attachment did neither; both use the vault's open_checked."""
    from django.conf import settings as django_settings

    from sceau.vault.errors import IntegrityError
    from sceau.vault.services import get_vault

    claim = invited.claim
    debtor = DEBTORS.principal(claim)
    sealed = get_vault().seal(iter([make_pdf("pièce du débiteur")]))
    message = services.post_message(debtor, claim, "Ma pièce", sealed=sealed, file_name="p.pdf")
    root = django_settings.DATA_DIR / "blobs"
    path = next(p for p in root.rglob(message.blob.name) if ".tmp" not in p.parts)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError):
        services.consult_attachment(debtor, claim, message.pk)
    failure = JournalEntry.objects.get(action="creances:attachment:integrity_failed")
    assert (failure.case_kind, failure.case_id) == ("claim", claim.pk)
    assert not JournalEntry.objects.filter(action="creances:attachment:consulted").exists()
