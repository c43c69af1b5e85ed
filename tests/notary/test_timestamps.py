"""RFC 3161 timestamps, checked with stock tools: the real ``openssl ts`` and pyHanko.

* The built-in authority's tokens verify with ``openssl ts -verify``; OpenSSL's own client talks
  to it; damaged or mismatched tokens are refused by both.
* ``HttpTimeStamper`` talks to OpenSSL's own TSA (``openssl ts -reply``) behind a tiny HTTP
  server on 127.0.0.1, and refuses replays, untrusted roots, rejections; 503 and time-outs mean
  "retry later"; basic auth and a TLS client certificate reach the server.
* ``pyhanko_timestamper()`` gives a PAdES B-T signature that pyHanko validates.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from tests import helpers

from sceau.notary.errors import AuthorityUnavailable, NotaryError, TimestampRefused
from sceau.notary.pki import TestPki, ensure_test_pki
from sceau.notary.timestamps import (
    BUILTIN_LABEL,
    TEST_POLICY_OID,
    BuiltinTimeStamper,
    HttpTimeStamper,
    PyHankoTimeStamper,
    Timestamp,
    TimeStamper,
    verify_token,
)

DATA = "Avis de mise à disposition — dossier 42".encode()
OPENSSL_POLICY = "1.3.6.1.4.1.99999.1.2"
OPENSSL_OTHER_POLICY = "1.3.6.1.4.1.99999.1.3"
MESSAGE_DIGEST_OID = bytes.fromhex("2a864886f70d010904")  # 1.2.840.113549.1.9.4, DER body


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return ensure_test_pki(tmp_path_factory.mktemp("notary") / "pki")


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return ensure_test_pki(tmp_path_factory.mktemp("notary-other") / "pki")


@pytest.fixture(scope="module")
def stamper(pki: TestPki) -> BuiltinTimeStamper:
    return BuiltinTimeStamper(pki)


def openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def openssl_verify_token(
    pki: TestPki, token: Path, data: Path, *, untrusted: bool = True
) -> subprocess.CompletedProcess:
    """``openssl ts -verify -data DATA -in TOKEN -token_in -CAfile root.pem -untrusted tsa.pem``."""
    extra = ["-untrusted", str(pki.tsa_cert_path)] if untrusted else []
    return openssl(
        "ts",
        "-verify",
        "-data",
        str(data),
        "-in",
        str(token),
        "-token_in",
        "-CAfile",
        str(pki.root_cert_path),
        *extra,
        check=False,
    )


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def tst_nonce(token: bytes) -> int:
    content = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"]
    return content.parsed["nonce"].native


def openssl_hex_field(text: str, name: str) -> int:
    match = re.search(rf"^{name}: (0x[0-9A-Fa-f]+)$", text, re.MULTILINE)
    assert match, text
    return int(match.group(1), 16)


# -- the built-in authority -------------------------------------------------------------------


def test_stamp_returns_a_verified_timestamp(stamper: BuiltinTimeStamper) -> None:
    before = datetime.now(UTC)
    ts = stamper.stamp(DATA)
    assert isinstance(ts, Timestamp)
    assert ts.message_imprint == hashlib.sha256(DATA).digest()
    assert ts.gen_time.tzinfo is not None and ts.gen_time.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= ts.gen_time <= datetime.now(UTC)
    assert ts.policy == TEST_POLICY_OID
    assert ts.qualified is False
    assert ts.tsa_name == "Sceau — autorité d'horodatage intégrée (NON QUALIFIÉE)"
    assert ts.serial > 0
    assert ts.token[:1] == b"\x30"
    assert "token" not in repr(ts)


def test_builtin_stamper_satisfies_the_protocol(stamper: BuiltinTimeStamper) -> None:
    assert isinstance(stamper, TimeStamper)
    assert stamper.qualified is False
    assert stamper.label == BUILTIN_LABEL == "Autorité d'horodatage intégrée — non qualifiée"
    assert isinstance(stamper.pyhanko_timestamper(), PyHankoTimeStamper)


def test_certificates_pem_is_tsa_then_root(stamper: BuiltinTimeStamper, pki: TestPki) -> None:
    certs = x509.load_pem_x509_certificates(stamper.certificates_pem().encode())
    assert certs == [pki.tsa_cert, pki.root_cert]


def test_openssl_verifies_the_token(
    stamper: BuiltinTimeStamper, pki: TestPki, tmp_path: Path
) -> None:
    ts = stamper.stamp(DATA)
    token = write(tmp_path / "token.tsr", ts.token)
    data = write(tmp_path / "data.bin", DATA)
    result = openssl_verify_token(pki, token, data)
    assert result.returncode == 0, result.stderr
    assert "Verification: OK" in result.stdout

    text = openssl("ts", "-reply", "-in", str(token), "-token_in", "-text").stdout
    assert f"Policy OID: {TEST_POLICY_OID}" in text
    assert "Hash Algorithm: sha256" in text
    assert openssl_hex_field(text, "Nonce") == tst_nonce(ts.token)
    assert openssl_hex_field(text, "Serial number") == ts.serial
    assert "NON QUALIFI" in text  # the TSA name


def test_openssl_client_against_builtin_authority(
    stamper: BuiltinTimeStamper, pki: TestPki, tmp_path: Path
) -> None:
    data = write(tmp_path / "data.bin", DATA)
    query = tmp_path / "q.tsq"
    openssl("ts", "-query", "-data", str(data), "-sha256", "-cert", "-out", str(query))
    reply = write(tmp_path / "r.tsr", stamper.respond(query.read_bytes()))

    text = openssl("ts", "-reply", "-in", str(reply), "-text").stdout
    assert "Status: Granted." in text
    assert f"Policy OID: {TEST_POLICY_OID}" in text
    query_text = openssl("ts", "-query", "-in", str(query), "-text").stdout
    assert openssl_hex_field(text, "Nonce") == openssl_hex_field(query_text, "Nonce")

    result = openssl(
        "ts",
        "-verify",
        "-queryfile",
        str(query),
        "-in",
        str(reply),
        "-CAfile",
        str(pki.root_cert_path),
        check=False,  # the TSA certificate is in the reply (certReq): no -untrusted needed
    )
    assert "Verification: OK" in result.stdout, result.stderr


def test_token_without_certificate_needs_it_as_untrusted(
    stamper: BuiltinTimeStamper, pki: TestPki, tmp_path: Path
) -> None:
    data = write(tmp_path / "data.bin", DATA)
    query = tmp_path / "q.tsq"
    openssl("ts", "-query", "-data", str(data), "-sha256", "-out", str(query))  # no certReq
    reply = write(tmp_path / "r.tsr", stamper.respond(query.read_bytes()))
    token = tmp_path / "t.tsr"
    openssl("ts", "-reply", "-in", str(reply), "-token_out", "-out", str(token))
    with pytest.raises(TimestampRefused):
        verify_token(token.read_bytes(), DATA, [pki.root_cert])
    ts = verify_token(token.read_bytes(), DATA, [pki.root_cert], untrusted=[pki.tsa_cert])
    assert ts.policy == TEST_POLICY_OID
    assert "Verification: OK" in openssl_verify_token(pki, token, data).stdout


def test_builtin_authority_rejects_an_unsupported_hash(
    stamper: BuiltinTimeStamper, tmp_path: Path
) -> None:
    data = write(tmp_path / "data.bin", DATA)
    query = tmp_path / "q.tsq"
    openssl("ts", "-query", "-data", str(data), "-sha1", "-cert", "-out", str(query))
    reply = write(tmp_path / "r.tsr", stamper.respond(query.read_bytes()))
    text = openssl("ts", "-reply", "-in", str(reply), "-text").stdout
    assert "Status: Rejected." in text
    assert "unrecognized or unsupported algorithm" in text
    assert stamper.respond(b"not a request")  # an answer, not a crash


def test_verify_token_round_trip(stamper: BuiltinTimeStamper, pki: TestPki) -> None:
    ts = stamper.stamp(DATA)
    assert verify_token(ts.token, DATA, [pki.root_cert]) == ts
    again = verify_token(ts.token, DATA, [pki.root_cert], nonce=tst_nonce(ts.token))
    assert again.serial == ts.serial
    assert verify_token(ts.token, DATA, [pki.root_cert], qualified=True).qualified is True


def test_other_data_is_refused_by_us_and_by_openssl(
    stamper: BuiltinTimeStamper, pki: TestPki, tmp_path: Path
) -> None:
    ts = stamper.stamp(DATA)
    with pytest.raises(TimestampRefused) as caught:
        verify_token(ts.token, DATA + b" (modified)", [pki.root_cert])
    assert "empreinte" in caught.value.message
    assert caught.value.code == "timestamp_refused"
    assert "imprint" in (caught.value.detail or "")
    token = write(tmp_path / "token.tsr", ts.token)
    other = write(tmp_path / "other.bin", DATA + b" (modified)")
    result = openssl_verify_token(pki, token, other)
    assert result.returncode != 0
    assert "Verification: FAILED" in result.stdout


def test_wrong_nonce_is_refused(stamper: BuiltinTimeStamper, pki: TestPki) -> None:
    ts = stamper.stamp(DATA)
    with pytest.raises(TimestampRefused, match="nonce"):
        verify_token(ts.token, DATA, [pki.root_cert], nonce=tst_nonce(ts.token) + 1)


def test_untrusted_root_is_refused(
    stamper: BuiltinTimeStamper, other_pki: TestPki, pki: TestPki, tmp_path: Path
) -> None:
    ts = stamper.stamp(DATA)
    with pytest.raises(TimestampRefused) as caught:
        verify_token(ts.token, DATA, [other_pki.root_cert])
    assert "autorité reconnue" in caught.value.message
    with pytest.raises(TimestampRefused):
        verify_token(ts.token, DATA, [])
    token = write(tmp_path / "token.tsr", ts.token)
    data = write(tmp_path / "data.bin", DATA)
    assert "Verification: OK" not in openssl_verify_token(other_pki, token, data).stdout


def _offset(token: bytes, where: str, pki: TestPki) -> int:
    if where == "tstinfo":  # inside genTime, in the signed TSTInfo
        tst = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].contents
        start = token.index(tst)
        return start + tst.index(b"\x18") + 10
    if where == "certificate":
        der = pki.tsa_cert.public_bytes(serialization.Encoding.DER)
        return token.index(der) + len(der) // 2
    if where == "signed-attributes":  # inside the messageDigest attribute's value
        return token.index(MESSAGE_DIGEST_OID) + 20
    return len(token) - 1  # signature


@pytest.mark.parametrize("where", ["tstinfo", "certificate", "signed-attributes", "signature"])
def test_flipped_byte_is_refused_by_us_and_by_openssl(
    stamper: BuiltinTimeStamper, pki: TestPki, tmp_path: Path, where: str
) -> None:
    ts = stamper.stamp(DATA)
    damaged = bytearray(ts.token)
    damaged[_offset(ts.token, where, pki)] ^= 0x01
    with pytest.raises(TimestampRefused):
        verify_token(bytes(damaged), DATA, [pki.root_cert])
    token = write(tmp_path / "token.tsr", bytes(damaged))
    data = write(tmp_path / "data.bin", DATA)
    # Without -untrusted, OpenSSL has to use the certificate embedded in the token too.
    result = openssl_verify_token(pki, token, data, untrusted=False)
    assert result.returncode != 0
    assert "Verification: OK" not in result.stdout


@pytest.mark.parametrize("token", [b"", b"\x30\x03\x02\x01\x01", b"garbage" * 20])
def test_garbage_is_refused(pki: TestPki, token: bytes) -> None:
    with pytest.raises(TimestampRefused):
        verify_token(token, DATA, [pki.root_cert])


def test_truncated_token_is_refused(stamper: BuiltinTimeStamper, pki: TestPki) -> None:
    ts = stamper.stamp(DATA)
    for cut in (10, len(ts.token) // 2, len(ts.token) - 1):
        with pytest.raises(TimestampRefused):
            verify_token(ts.token[:cut], DATA, [pki.root_cert])


def _stamp_serials(directory: str, count: int) -> list[int]:
    stamper = BuiltinTimeStamper(ensure_test_pki(Path(directory)))
    return [stamper.stamp(b"%d" % i).serial for i in range(count)]


def test_serials_increase_and_never_repeat_across_threads_and_processes(pki: TestPki) -> None:
    first = BuiltinTimeStamper(pki).stamp(DATA).serial
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(
            pool.map(lambda i: BuiltinTimeStamper(pki).stamp(b"%d" % i).serial, range(12))
        )
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("fork")) as pool:
        forked = [
            s for batch in pool.map(_stamp_serials, [str(pki.directory)] * 2, [6, 6]) for s in batch
        ]
    serials = threaded + forked
    assert len(set(serials)) == len(serials) == 24
    assert min(serials) > first
    last = BuiltinTimeStamper(pki).stamp(DATA).serial
    assert last == max(serials) + 1
    assert int((pki.directory / "tsa-serial").read_text()) == last
    assert (pki.directory / "tsa-serial").stat().st_mode & 0o077 == 0


# -- OpenSSL's own TSA behind HTTP ------------------------------------------------------------


@dataclass
class FakeAuthority:
    """A tiny RFC 3161 HTTP server that answers with OpenSSL's TSA (``openssl ts -reply``)."""

    workdir: Path
    config: Path
    url: str = ""
    mode: str = "openssl"  # openssl | replay | unavailable | forbidden | garbage | slow
    requests: list[tuple[dict[str, str], bytes, dict | None]] = field(default_factory=list)
    last_reply: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def reply(self, query: bytes) -> bytes:
        with self._lock:  # OpenSSL's serial file is not safe for concurrent writers
            self._counter += 1
            q = write(self.workdir / f"q{self._counter}.tsq", query)
            r = self.workdir / f"r{self._counter}.tsr"
            openssl(
                "ts", "-reply", "-queryfile", str(q), "-config", str(self.config), "-out", str(r)
            )
            return r.read_bytes()


def _handler(authority: FakeAuthority) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            peer = None
            if isinstance(self.connection, ssl.SSLSocket):
                peer = self.connection.getpeercert()
            authority.requests.append((dict(self.headers), body, peer))
            mode = authority.mode
            if mode == "unavailable":
                self._send(503, b"busy", "text/plain")
            elif mode == "forbidden":
                self._send(403, b"no", "text/plain")
            elif mode == "garbage":
                self._send(200, b"not DER at all", "application/timestamp-reply")
            elif mode == "slow":
                time.sleep(1.5)
                self._send(200, authority.reply(body), "application/timestamp-reply")
            elif mode == "replay" and authority.last_reply is not None:
                self._send(200, authority.last_reply, "application/timestamp-reply")
            else:
                reply = authority.reply(body)
                authority.last_reply = reply
                self._send(200, reply, "application/timestamp-reply")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (time-out test)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _openssl_tsa_config(pki: TestPki, workdir: Path) -> Path:
    (workdir / "tsaserial").write_text("1000\n")
    config = workdir / "openssl-ts.cnf"
    config.write_text(
        f"""\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {workdir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = {pki.tsa_cert_path}
signer_key = {pki.tsa_key_path}
signer_digest = sha256
default_policy = {OPENSSL_POLICY}
other_policies = {OPENSSL_OTHER_POLICY}
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 3
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
    )
    return config


def _serve(
    authority: FakeAuthority, context: ssl.SSLContext | None = None
) -> Iterator[FakeAuthority]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(authority))
    scheme = "http"
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    authority.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/tsa"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield authority
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def authority(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAuthority]:
    workdir = tmp_path_factory.mktemp("openssl-tsa")
    fake = FakeAuthority(workdir, _openssl_tsa_config(pki, workdir))
    yield from _serve(fake)


@pytest.fixture
def tsa(authority: FakeAuthority) -> FakeAuthority:
    authority.mode = "openssl"
    authority.requests.clear()
    return authority


def client(tsa: FakeAuthority, pki: TestPki, **options: object) -> HttpTimeStamper:
    options.setdefault("backoff", 0.0)
    return HttpTimeStamper(tsa.url, [pki.root_cert], **options)  # type: ignore[arg-type]


def test_http_stamper_against_openssl_tsa(tsa: FakeAuthority, pki: TestPki, tmp_path: Path) -> None:
    http = client(tsa, pki)
    assert isinstance(http, TimeStamper)
    assert x509.load_pem_x509_certificates(http.certificates_pem().encode()) == [pki.root_cert]
    ts = http.stamp(DATA)
    assert ts.policy == OPENSSL_POLICY
    assert ts.serial >= 0x1000
    assert ts.message_imprint == hashlib.sha256(DATA).digest()
    assert ts.qualified is False
    assert ts.tsa_name == "Sceau — autorité d'horodatage intégrée (NON QUALIFIÉE)"
    headers, body, _ = tsa.requests[-1]
    assert headers["Content-Type"] == "application/timestamp-query"
    assert headers["Accept"] == "application/timestamp-reply"
    assert "Authorization" not in headers
    query_text = openssl("ts", "-query", "-in", str(write(tmp_path / "q.tsq", body)), "-text")
    assert "Certificate required: yes" in query_text.stdout
    assert openssl_hex_field(query_text.stdout, "Nonce") == tst_nonce(ts.token)
    # The stored token re-verifies offline, with us and with OpenSSL.
    assert verify_token(ts.token, DATA, [pki.root_cert]) == ts
    token = write(tmp_path / "token.tsr", ts.token)
    data = write(tmp_path / "data.bin", DATA)
    assert "Verification: OK" in openssl_verify_token(pki, token, data).stdout
    # Once a token is seen, the chain handed to verifiers includes the TSA certificate.
    pem = http.certificates_pem().encode()
    assert x509.load_pem_x509_certificates(pem) == [pki.tsa_cert, pki.root_cert]


def test_http_stamper_declares_qualification_and_labels(tsa: FakeAuthority, pki: TestPki) -> None:
    http = client(tsa, pki, qualified=True)
    assert http.label == "Autorité d'horodatage 127.0.0.1 — qualifiée"
    assert http.stamp(DATA).qualified is True
    assert client(tsa, pki).label.endswith("— non qualifiée")
    assert client(tsa, pki, label="Horodatage X").label == "Horodatage X"


def test_http_stamper_requests_a_policy(tsa: FakeAuthority, pki: TestPki) -> None:
    assert client(tsa, pki, policy=OPENSSL_OTHER_POLICY).stamp(DATA).policy == OPENSSL_OTHER_POLICY
    with pytest.raises(TimestampRefused) as caught:
        client(tsa, pki, policy="1.3.6.1.4.1.99999.9.9").stamp(DATA)
    assert "rejection" in (caught.value.detail or "")
    assert "refusé" in caught.value.message


def test_replayed_reply_is_refused(tsa: FakeAuthority, pki: TestPki) -> None:
    http = client(tsa, pki)
    http.stamp(DATA)
    tsa.mode = "replay"
    with pytest.raises(TimestampRefused, match="nonce"):
        http.stamp(DATA)  # same imprint, but the nonce is the previous request's
    with pytest.raises(TimestampRefused, match="imprint"):
        http.stamp(b"other data")


def test_untrusted_roots_are_refused(tsa: FakeAuthority, pki: TestPki, other_pki: TestPki) -> None:
    http = HttpTimeStamper(tsa.url, [other_pki.root_cert])
    with pytest.raises(TimestampRefused) as caught:
        http.stamp(DATA)
    assert "chaîne" in caught.value.message


def test_503_is_retried_then_unavailable(tsa: FakeAuthority, pki: TestPki) -> None:
    tsa.mode = "unavailable"
    with pytest.raises(AuthorityUnavailable) as caught:
        client(tsa, pki, retries=2).stamp(DATA)
    assert len(tsa.requests) == 3
    assert caught.value.code == "tsa_unavailable"
    assert "retenté automatiquement" in caught.value.message
    assert "HTTP 503" in (caught.value.detail or "")
    assert isinstance(caught.value, NotaryError)


def test_timeout_is_unavailable(tsa: FakeAuthority, pki: TestPki) -> None:
    tsa.mode = "slow"
    started = time.monotonic()
    with pytest.raises(AuthorityUnavailable):
        client(tsa, pki, timeout=0.3, retries=1).stamp(DATA)
    assert time.monotonic() - started < 3
    assert len(tsa.requests) == 2


def test_connection_refused_is_unavailable(pki: TestPki) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = HttpTimeStamper(f"http://127.0.0.1:{port}/tsa", [pki.root_cert], retries=1, backoff=0)
    with pytest.raises(AuthorityUnavailable):
        http.stamp(DATA)


@pytest.mark.parametrize("mode", ["forbidden", "garbage"])
def test_other_answers_are_refused_without_retry(
    tsa: FakeAuthority, pki: TestPki, mode: str
) -> None:
    tsa.mode = mode
    with pytest.raises(TimestampRefused):
        client(tsa, pki).stamp(DATA)
    assert len(tsa.requests) == 1


def test_basic_auth_is_sent(tsa: FakeAuthority, pki: TestPki) -> None:
    client(tsa, pki, username="etude", password="s3cret").stamp(DATA)
    headers, _, _ = tsa.requests[-1]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"etude:s3cret").decode()


def test_http_url_must_be_http() -> None:
    with pytest.raises(ValueError):
        HttpTimeStamper("ftp://example.test/tsa", [])


# -- TLS client certificate -------------------------------------------------------------------


def _tls_files(directory: Path) -> dict[str, Path]:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate."""
    now = datetime.now(UTC)

    def issue(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple | None, extensions: list
    ) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        issuer_name, issuer_key = issuer or (name, key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = issue("TLS test CA", ca_key, None, [(x509.BasicConstraints(ca=True, path_length=0), True)])
    leaf = [(x509.BasicConstraints(ca=False, path_length=None), True)]
    server = issue(
        "127.0.0.1",
        server_key,
        (ca.subject, ca_key),
        [
            *leaf,
            (x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    client_cert = issue(
        "Étude Démo (TEST) — client",
        client_key,
        (ca.subject, ca_key),
        [*leaf, (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
    )
    files: dict[str, Path] = {}
    for label, cert, key in (
        ("ca", ca, None),
        ("server", server, server_key),
        ("client", client_cert, client_key),
    ):
        files[f"{label}.pem"] = write(
            directory / f"{label}.pem", cert.public_bytes(serialization.Encoding.PEM)
        )
        if key is not None:
            files[f"{label}.key"] = write(
                directory / f"{label}.key",
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            )
    return files


@pytest.fixture(scope="module")
def tls(
    pki: TestPki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FakeAuthority, dict[str, Path]]]:
    workdir = tmp_path_factory.mktemp("tls-tsa")
    files = _tls_files(workdir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server.pem"], files["server.key"])
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(files["ca.pem"])
    fake = FakeAuthority(workdir, _openssl_tsa_config(pki, workdir))
    for _ in _serve(fake, context):
        yield fake, files


def test_tls_client_certificate_and_basic_auth(
    tls: tuple[FakeAuthority, dict[str, Path]], pki: TestPki
) -> None:
    fake, files = tls
    http = HttpTimeStamper(
        fake.url,
        [pki.root_cert],
        client_cert=(str(files["client.pem"]), str(files["client.key"])),
        ca_bundle=str(files["ca.pem"]),
        username="etude",
        password="s3cret",
        qualified=True,
    )
    ts = http.stamp(DATA)
    assert ts.qualified and ts.policy == OPENSSL_POLICY
    headers, _, peer = fake.requests[-1]
    assert peer is not None
    assert ((("commonName", "Étude Démo (TEST) — client"),),) == peer["subject"]
    assert headers["Authorization"].startswith("Basic ")


def test_tls_without_client_certificate_is_unavailable(
    tls: tuple[FakeAuthority, dict[str, Path]], pki: TestPki
) -> None:
    fake, files = tls
    http = HttpTimeStamper(
        fake.url, [pki.root_cert], ca_bundle=str(files["ca.pem"]), retries=0, timeout=5
    )
    with pytest.raises(AuthorityUnavailable):
        http.stamp(DATA)


# -- pyHanko: PAdES B-T -----------------------------------------------------------------------


def _pdf() -> bytes:
    return helpers.make_pdf("Avis de TEST — Sceau {page}")


def _sign(pki: TestPki, timestamper: object) -> bytes:
    signer = signers.SimpleSigner.load_pkcs12(
        str(pki.officer_p12_path), passphrase=pki.officer_p12_passphrase
    )
    assert signer is not None
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        reason="Avis de TEST",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(_pdf()))
    pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper)  # type: ignore[arg-type]
    return pdf_signer.sign_pdf(writer).getvalue()


def _validate(pki: TestPki, pdf: bytes) -> tuple[Any, Any]:
    root = asn1_x509.Certificate.load(pki.root_cert.public_bytes(serialization.Encoding.DER))
    context = ValidationContext(
        trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail"
    )
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    status = validate_pdf_signature(
        signature, signer_validation_context=context, ts_validation_context=context
    )
    return signature, status


def test_pades_b_t_signature_with_the_builtin_authority(
    stamper: BuiltinTimeStamper, pki: TestPki, tmp_path: Path
) -> None:
    signature, status = _validate(pki, _sign(pki, stamper.pyhanko_timestamper()))
    assert status.bottom_line, status.pretty_print_details()
    assert status.intact and status.valid and status.trusted
    tst = status.timestamp_validity
    assert tst is not None, "no signature timestamp"
    assert tst.intact and tst.valid and tst.trusted
    assert abs(tst.timestamp - datetime.now(UTC)) < timedelta(minutes=1)

    # The embedded token is a plain RFC 3161 token over the signature value: it re-verifies
    # with verify_token and with `openssl ts -verify`.
    signer_info = signature.signer_info
    token_attr = next(
        a for a in signer_info["unsigned_attrs"] if a["type"].native == "signature_time_stamp_token"
    )
    token = token_attr["values"][0].dump()
    signature_value = signer_info["signature"].native
    ts = verify_token(token, signature_value, [pki.root_cert])
    assert ts.policy == TEST_POLICY_OID
    result = openssl_verify_token(
        pki, write(tmp_path / "sig.tsr", token), write(tmp_path / "sig.bin", signature_value)
    )
    assert "Verification: OK" in result.stdout, result.stderr


def test_pades_b_t_signature_with_openssl_tsa_over_http(tsa: FakeAuthority, pki: TestPki) -> None:
    _, status = _validate(pki, _sign(pki, client(tsa, pki).pyhanko_timestamper()))
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted


def test_pyhanko_signing_fails_on_a_bad_answer(tsa: FakeAuthority, pki: TestPki) -> None:
    http = client(tsa, pki)
    http.stamp(DATA)
    tsa.mode = "replay"
    with pytest.raises(TimestampRefused):
        _sign(pki, http.pyhanko_timestamper())
    tsa.mode = "unavailable"
    with pytest.raises(AuthorityUnavailable):
        _sign(pki, http.pyhanko_timestamper())
