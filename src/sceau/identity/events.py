"""The journal tags of identity (accounts, offices, sign-ins, credentials, certificates, OIDC).

Written and read only through this enum, never as strings spelled again elsewhere.
"""

from sceau.journal.events import EventTag


class IdentityEvent(EventTag):
    API_TOKEN_ADDED = "identity:api_token:added"  # noqa: S105
    API_TOKEN_REVOKED = "identity:api_token:revoked"  # noqa: S105
    AUDITOR_CREATED = "identity:auditor:created"
    AUDITOR_LOGIN_SUCCEEDED = "identity:auditor:login_succeeded"
    AUDITOR_TOTP_RESET = "identity:auditor:totp_reset"
    CERTIFICATE_REGISTERED = "identity:certificate:registered"
    CERTIFICATE_REVOKED = "identity:certificate:revoked"
    CERTIFICATE_UNTRUSTED_HEADER = "identity:certificate:untrusted_header"
    CREDENTIAL_LOGIN_FAILED = "identity:credential:login_failed"
    CREDENTIAL_PASSWORD_SET = "identity:credential:password_set"  # noqa: S105
    CREDITOR_CREATED = "identity:creditor:created"
    CREDITOR_LOGIN_SUCCEEDED = "identity:creditor:login_succeeded"
    CREDITOR_REGISTRATION_OF_EXISTING_ADDRESS = "identity:creditor:registration_of_existing_address"
    CREDITOR_TOTP_RESET = "identity:creditor:totp_reset"
    CREDITOR_VERIFIED = "identity:creditor:verified"
    OFFICE_CREATED = "identity:office:created"
    OFFICER_CREATED = "identity:officer:created"
    OFFICER_LOGIN_FAILED = "identity:officer:login_failed"
    OFFICER_LOGIN_SUCCEEDED = "identity:officer:login_succeeded"
    OFFICER_SESSION_ENDED = "identity:officer:session_ended"
    OFFICER_TOTP_RESET = "identity:officer:totp_reset"
    OIDC_CALLBACK_REFUSED = "identity:oidc:callback_refused"
    OIDC_LINK_REFUSED = "identity:oidc:link_refused"
    OIDC_LINKED = "identity:oidc:linked"
    OIDC_LOGIN_REFUSED = "identity:oidc:login_refused"
    OIDC_LOGIN_SUCCEEDED = "identity:oidc:login_succeeded"
    OIDC_UNLINKED = "identity:oidc:unlinked"
