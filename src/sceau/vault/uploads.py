"""Streaming uploads: each chunk is hashed and encrypted as it arrives.

This handler replaces Django's defaults (which write plaintext temporary files). It seals
uploads only for requests made by someone who may send a file (an officer, a verified
creditor, a debtor signed in with their printed credentials); anything else is read and
discarded without touching the store. Blobs sealed during a request that did
not end up recorded in a Blob row are deleted when the response leaves
(``DiscardUnclaimedUploadsMiddleware``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

from sceau.core.errors import InvalidInput
from sceau.vault.core import SealedBlob, Sealing
from sceau.vault.errors import VaultError

log = logging.getLogger(__name__)

REQUEST_ATTR = "_sceau_sealed_uploads"


class SealedUpload:
    """What a view finds in ``request.FILES``: a sealed blob, or the reason it was refused."""

    def __init__(
        self, field_name: str, file_name: str, sealed: SealedBlob | None, error: VaultError | None
    ):
        self.field_name = field_name
        self.name = file_name
        self.sealed = sealed
        self.error = error

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        state = (
            self.sealed.blob_name if self.sealed else f"refused:{self.error and self.error.code}"
        )
        return f"<SealedUpload {self.name!r} {state}>"


# Who may send a file is identity's to say: it registers its gate in IdentityConfig.ready().
# No gate registered means no upload is sealed (fail closed).
_UPLOAD_GATES: list[Callable[[HttpRequest], bool]] = []


def register_upload_gate(gate: Callable[[HttpRequest], bool]) -> None:
    """``gate(request)`` is true when the request's sender may deposit a file."""
    if gate not in _UPLOAD_GATES:
        _UPLOAD_GATES.append(gate)


def _upload_allowed(request: HttpRequest) -> bool:
    return bool(_UPLOAD_GATES) and any(gate(request) for gate in _UPLOAD_GATES)


def single_upload(request: HttpRequest) -> SealedUpload:
    """The one sealed file of a multipart request (field ``file``), or a clear refusal."""
    try:
        files = request.FILES.getlist("file")
    except MultiPartParserError as exc:
        raise InvalidInput(f"Envoi multipart illisible ({exc}).") from None
    if len(files) != 1:
        raise InvalidInput("Envoyez exactement un fichier, dans le champ « file ».")
    upload: SealedUpload = files[0]
    if upload.error is not None:
        raise upload.error
    if upload.sealed is None:
        raise InvalidInput("Le fichier n'a pas pu être reçu : recommencez l'envoi.")
    return upload


class SealingUploadHandler(FileUploadHandler):
    chunk_size = 256 * 1024

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.sealing: Sealing | None = None
        self.error: VaultError | None = None
        self.allowed: bool | None = None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.error = None
        self.sealing = None
        if self.allowed is None:
            self.allowed = self.request is not None and _upload_allowed(self.request)
        if not self.allowed:
            return
        from sceau.vault.services import get_vault

        self.sealing = get_vault().start()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.sealing is None or self.error is not None:
            return None
        try:
            self.sealing.write(raw_data)
        except VaultError as exc:  # e.g. too large: remember why, drop the rest of this file
            self.error = exc
            self.sealing = None
        return None

    def file_complete(self, file_size: int) -> SealedUpload | None:
        if not self.allowed:
            return None
        sealed = None
        if self.sealing is not None and self.error is None:
            try:
                sealed = self.sealing.finish()
            except VaultError as exc:
                self.error = exc
        self.sealing = None
        upload = SealedUpload(self.field_name, self.file_name or "", sealed, self.error)
        if self.request is not None and sealed is not None:
            if not hasattr(self.request, REQUEST_ATTR):
                setattr(self.request, REQUEST_ATTR, [])
            getattr(self.request, REQUEST_ATTR).append(sealed.blob_name)
        return upload

    def upload_interrupted(self) -> None:
        if self.sealing is not None:
            self.sealing.abort()
            self.sealing = None


class DiscardUnclaimedUploadsMiddleware:
    """Delete blobs sealed during a request that no Blob row ended up referencing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            names = getattr(request, REQUEST_ATTR, None)
            if names:
                self._discard(names)

    @staticmethod
    def _discard(names: list[str]) -> None:
        from sceau.vault.models import Blob
        from sceau.vault.services import STORE_ERRORS, get_vault

        claimed = set(Blob.objects.filter(name__in=names).values_list("name", flat=True))
        for name in names:
            if name not in claimed:
                try:
                    get_vault().destroy(name)
                except STORE_ERRORS as exc:
                    log.warning("unclaimed blob %s not deleted yet: %s", name, exc)
