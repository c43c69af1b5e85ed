"""The journal tags of Petites créances (claims, invitations, parties, messages, outcomes).

Written and read only through this enum, never as strings spelled again elsewhere.
"""

from sceau.journal.events import EventTag


class CreancesEvent(EventTag):
    ATTACHMENT_CONSULTED = "creances:attachment:consulted"
    ATTACHMENT_INTEGRITY_FAILED = "creances:attachment:integrity_failed"
    CLAIM_CLOSED = "creances:claim:closed"
    CLAIM_DEBTOR_ACCEPTED = "creances:claim:debtor_accepted"
    CLAIM_DEBTOR_REFUSED = "creances:claim:debtor_refused"
    CLAIM_DOCUMENTS_SIGNED = "creances:claim:documents_signed"
    CLAIM_FILED = "creances:claim:filed"
    CLAIM_INVITED = "creances:claim:invited"
    CLAIM_MANDATE_ACCEPTED = "creances:claim:mandate_accepted"
    CLAIM_MANDATE_DECLINED = "creances:claim:mandate_declined"
    CLAIM_PROPOSAL_ACCEPTED = "creances:claim:proposal_accepted"
    CLAIM_PROPOSAL_REFUSED = "creances:claim:proposal_refused"
    CLAIM_PROPOSED = "creances:claim:proposed"
    CLAIM_SILENCE_AS_REFUSAL = "creances:claim:silence_as_refusal"
    CREDENTIAL_REISSUED = "creances:credential:reissued"
    INVITATION_ISSUED = "creances:invitation:issued"
    MESSAGE_POSTED = "creances:message:posted"
    PARTY_ACCESS = "creances:party:access"
    PARTY_FIRST_ACCESS = "creances:party:first_access"
