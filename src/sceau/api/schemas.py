from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    error: str
    message: str


class RecipientIn(Schema):
    name: str = Field(max_length=300)
    address: str = Field(max_length=1000)
    kind: Literal["natural", "legal"] = "natural"
    email: str = Field(default="", max_length=254)
    residence: Literal["france", "overseas", "abroad"] = "france"


class DossierIn(Schema):
    reference: str = Field(max_length=80)
    creditor: str = Field(max_length=300)
    court: str = Field(max_length=300)
    recipients: list[RecipientIn] = Field(min_length=1, max_length=50)


class RecipientOut(Schema):
    id: int
    name: str
    kind: str
    address: str
    email: str
    residence: str
    served_on: date | None
    identifier: str | None
    credential_issued_at: datetime | None
    opposition_deadline: date | None


class AccessDocumentOut(Schema):
    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    deposited_at: datetime
    expires_at: datetime
    available: bool


class DocumentOut(AccessDocumentOut):
    purged_at: datetime | None
    recipients: list[int] | Literal["all"]
    journal_index: int | None = None


class DossierOut(Schema):
    id: int
    reference: str
    creditor: str
    court: str
    created_at: datetime
    recipients: list[RecipientOut]
    documents: list[DocumentOut]


class DossierSummaryOut(Schema):
    id: int
    reference: str
    creditor: str
    court: str
    created_at: datetime


class CredentialsOut(Schema):
    identifier: str
    code: str
    address: str
    mention_text: str
    mention_pdf_base64: str


class SignificationIn(Schema):
    date: date


class SignificationOut(Schema):
    recipient: RecipientOut
    documents_short: list[DocumentOut]
    required_until: datetime | None


class ExtensionIn(Schema):
    until: date


class ConsultationOut(Schema):
    recipient_id: int
    recipient_name: str
    first: datetime | None
    last: datetime | None
    count: int


class JournalEntryOut(Schema):
    index: int
    time: datetime
    actor_kind: str
    actor_id: str
    actor_name: str
    action: str
    object_kind: str
    object_id: str
    details: dict
    leaf_hash: str


class LoginIn(Schema):
    identifier: str = Field(max_length=64)
    code: str = Field(max_length=64)


class LoginOut(Schema):
    token: str
    idle_timeout_seconds: int


class AccessDossierOut(Schema):
    reference: str
    creditor: str
    court: str
    office: str
    recipient: str
    served_on: date | None
    opposition_deadline: date | None
    opposition_information: str


class PasswordIn(Schema):
    password: str = Field(max_length=200)


def multipart_body(required: list[str], **properties: dict) -> dict:
    """OpenAPI ``requestBody`` of a multipart upload (the file is read by Sceau's streaming
    upload handler, not by a ninja parameter, so the schema is declared by hand)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "required": required, "properties": properties}
                }
            },
        }
    }


FILE_PROPERTY = {"type": "string", "format": "binary"}
