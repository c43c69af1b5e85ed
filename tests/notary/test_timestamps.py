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
from reportlab.pdfgen import canvas

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


def openssl_verify_token(pki: TestPki, token: Path, data: Path) -> subprocess.CompletedProcess:
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
        "-untrusted",
        str(pki.tsa_cert_path),
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
        verify_token(ts.token, DATA + b" (modifié)", [pki.root_cert])
    assert "empreinte" in caught.value.message
    assert caught.value.code == "timestamp_refused"
    assert "imprint" in (caught.value.detail or "")
    token = write(tmp_path / "token.tsr", ts.token)
    other = write(tmp_path / "other.bin", DATA + b" (modifie)")
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
    if where == "signed-attributes":
        return token.index(hashlib.sha256(token[:0]).digest()[:0] + b"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04") + 20
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
    result = openssl_verify_token(pki, token, data)
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
        threaded = list(pool.map(lambda i: BuiltinTimeStamper(pki).stamp(b"%d" % i).serial, range(12)))
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("fork")) as pool:
        forked = [s for batch in pool.map(_stamp_serials, [str(pki.directory)] * 2, [6, 6]) for s in batch]
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
            openssl("ts", "-reply", "-queryfile", str(q), "-config", str(self.config), "-out", str(r))
            return r.read_bytes()


def _handler(authority: FakeAuthority) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
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


@contextlib_contextmanager := None  # placeholder replaced below
