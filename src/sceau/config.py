"""Configuration read from the environment and validated at start-up.

Every variable is listed in ``VARIABLES`` (name, default, meaning) so that the README table and
``sceau config`` are generated from the same source. A bad value stops start-up with a message
that names the variable and says what is expected: we refuse rather than guess.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """A setting has a value Sceau refuses to run with."""


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "SCEAU_DATA_DIR", "./var", "Data directory: SQLite file, blobs, keyring (created 0700)."
    ),
    Variable("SCEAU_PRODUCTION", "false", "Production mode: refuses development keys and DEBUG."),
    Variable("SCEAU_DEBUG", "false", "Django debug pages (never in production)."),
    Variable(
        "SCEAU_SECRET_KEY", "(generated in data dir)", "Django secret key; required in production."
    ),
    Variable(
        "DATABASE_URL", "sqlite:///<data dir>/sceau.sqlite3", "Database (sqlite or postgres URL)."
    ),
    Variable("SCEAU_ALLOWED_HOSTS", "127.0.0.1,localhost", "Comma-separated host names served."),
    Variable("SCEAU_PUBLIC_URL", "http://127.0.0.1:8000", "Address printed on the served act."),
    Variable("SCEAU_HTTPS", "false", "Secure cookies and HSTS (true behind TLS)."),
    Variable(
        "SCEAU_CACHE_URL", "locmem://", "Throttling cache: locmem:// or redis://host:port/db."
    ),
    Variable("SCEAU_BLOB_STORE", "local", "Blob store: local or s3."),
    Variable("SCEAU_S3_BUCKET", "", "S3 bucket (blob store s3)."),
    Variable("SCEAU_S3_ENDPOINT_URL", "", "S3-compatible endpoint (empty: AWS)."),
    Variable("SCEAU_S3_REGION", "eu-west-3", "S3 region."),
    Variable("SCEAU_S3_PREFIX", "blobs/", "Key prefix inside the bucket."),
    Variable("SCEAU_KEYRING", "<data dir>/keys/keyring.json", "Key-encryption keyring file."),
    Variable("SCEAU_MAX_UPLOAD_MB", "200", "Largest document accepted, in MB (1..100000)."),
    Variable("SCEAU_LOGIN_FAILURES_BEFORE_LOCK", "5", "Failed logins before a temporary lock."),
    Variable("SCEAU_LOGIN_LOCK_MINUTES", "15", "Length of the temporary lock, in minutes."),
    Variable("SCEAU_RECIPIENT_SESSION_MINUTES", "15", "Idle timeout of recipient sessions."),
    Variable("SCEAU_WORKER_INTERVAL_SECONDS", "60", "Pause between two rounds of `sceau worker`."),
    Variable(
        "SCEAU_JOURNAL_RETENTION_MONTHS",
        "36",
        "Journal entries are kept at least this long (18..600), and while their dossier "
        "still has an available document.",
    ),
    Variable(
        "SCEAU_TREE_HEAD_SECONDS", "60", "Seconds between signed tree heads while entries arrive."
    ),
)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r}: expected true or false.")


def env_int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number.") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value}: expected a number from {lo} to {hi}.")
    return value


@dataclass(frozen=True)
class Config:
    data_dir: Path
    production: bool
    debug: bool
    secret_key: str
    database_url: str
    allowed_hosts: tuple[str, ...]
    public_url: str
    https: bool
    cache_url: str
    blob_store: str
    s3_bucket: str
    s3_endpoint_url: str
    s3_region: str
    s3_prefix: str
    keyring_path: Path
    max_upload_bytes: int
    login_failures_before_lock: int
    login_lock_seconds: int
    recipient_session_seconds: int
    worker_interval_seconds: int
    journal_retention_months: int
    tree_head_seconds: int
    tsa_url: str
    tsa_roots: Path | None
    tsa_username: str
    tsa_password: str
    tsa_qualified: bool
    signature_roots: Path | None
    pc_rules: Path | None
    email: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    mail_from: str


def _existing_file(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"{name}={raw!r}: no such file.")
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def _generated_secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def load(env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError naming the bad variable."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("SCEAU_DATA_DIR") or "./var").expanduser().resolve()
    production = env_bool(env, "SCEAU_PRODUCTION", False)
    debug = env_bool(env, "SCEAU_DEBUG", False)
    if production and debug:
        raise ConfigError("SCEAU_DEBUG=true is refused in production mode (SCEAU_PRODUCTION).")
    try:
        ensure_private_dir(data_dir)
    except OSError as exc:
        raise ConfigError(f"SCEAU_DATA_DIR={data_dir}: cannot create it ({exc}).") from None

    secret_key = env.get("SCEAU_SECRET_KEY", "")
    if production and len(secret_key) < 40:
        raise ConfigError("SCEAU_SECRET_KEY must be set (40 characters or more) in production.")
    if not secret_key:
        secret_key = _generated_secret_key(data_dir)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'sceau.sqlite3'}"
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ConfigError(f"DATABASE_URL={database_url!r}: expected sqlite:/// or postgresql://.")

    hosts = tuple(
        h.strip() for h in (env.get("SCEAU_ALLOWED_HOSTS") or "127.0.0.1,localhost").split(",")
    )
    if not all(hosts) or ("*" in hosts and production):
        raise ConfigError("SCEAU_ALLOWED_HOSTS: list host names separated by commas, no '*'.")

    public_url = (env.get("SCEAU_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError(f"SCEAU_PUBLIC_URL={public_url!r}: expected an http(s):// address.")
    https = env_bool(env, "SCEAU_HTTPS", False)
    if production and not (https and public_url.startswith("https://")):
        raise ConfigError("Production needs SCEAU_HTTPS=true and an https:// SCEAU_PUBLIC_URL.")

    cache_url = env.get("SCEAU_CACHE_URL") or "locmem://"
    if not cache_url.startswith(("locmem://", "redis://", "rediss://")):
        raise ConfigError(f"SCEAU_CACHE_URL={cache_url!r}: expected locmem:// or redis://.")

    blob_store = (env.get("SCEAU_BLOB_STORE") or "local").strip().lower()
    if blob_store not in {"local", "s3"}:
        raise ConfigError(f"SCEAU_BLOB_STORE={blob_store!r}: expected local or s3.")
    s3_bucket = env.get("SCEAU_S3_BUCKET", "")
    if blob_store == "s3" and not s3_bucket:
        raise ConfigError("SCEAU_BLOB_STORE=s3 needs SCEAU_S3_BUCKET.")

    email = (env.get("SCEAU_EMAIL") or "file").strip().lower()
    if email not in {"file", "smtp"}:
        raise ConfigError(f"SCEAU_EMAIL={email!r}: expected file or smtp.")
    if production and email != "smtp":
        raise ConfigError("Production needs SCEAU_EMAIL=smtp (mail must reach its recipients).")

    keyring_path = Path(env.get("SCEAU_KEYRING") or data_dir / "keys" / "keyring.json")

    tsa_url = env.get("SCEAU_TSA_URL", "").strip()
    tsa_roots = Path(env["SCEAU_TSA_ROOTS"]) if env.get("SCEAU_TSA_ROOTS") else None
    if tsa_url and not tsa_url.startswith(("http://", "https://")):
        raise ConfigError(f"SCEAU_TSA_URL={tsa_url!r}: expected an http(s):// address.")
    if tsa_url and (tsa_roots is None or not tsa_roots.is_file()):
        raise ConfigError("SCEAU_TSA_URL needs SCEAU_TSA_ROOTS, a PEM file of trusted roots.")
    if production and not tsa_url:
        raise ConfigError(
            "Production needs SCEAU_TSA_URL (a qualified timestamp authority): the built-in "
            "authority is not qualified."
        )

    return Config(
        data_dir=data_dir,
        production=production,
        debug=debug,
        secret_key=secret_key,
        database_url=database_url,
        allowed_hosts=hosts,
        public_url=public_url,
        https=https,
        cache_url=cache_url,
        blob_store=blob_store,
        s3_bucket=s3_bucket,
        s3_endpoint_url=env.get("SCEAU_S3_ENDPOINT_URL", ""),
        s3_region=env.get("SCEAU_S3_REGION") or "eu-west-3",
        s3_prefix=env.get("SCEAU_S3_PREFIX", "blobs/"),
        keyring_path=keyring_path,
        max_upload_bytes=env_int(env, "SCEAU_MAX_UPLOAD_MB", 200, 1, 100_000) * 1_000_000,
        login_failures_before_lock=env_int(env, "SCEAU_LOGIN_FAILURES_BEFORE_LOCK", 5, 1, 100),
        login_lock_seconds=env_int(env, "SCEAU_LOGIN_LOCK_MINUTES", 15, 1, 1440) * 60,
        recipient_session_seconds=env_int(env, "SCEAU_RECIPIENT_SESSION_MINUTES", 15, 1, 120) * 60,
        worker_interval_seconds=env_int(env, "SCEAU_WORKER_INTERVAL_SECONDS", 60, 1, 86400),
        journal_retention_months=env_int(env, "SCEAU_JOURNAL_RETENTION_MONTHS", 36, 18, 600),
        tree_head_seconds=env_int(env, "SCEAU_TREE_HEAD_SECONDS", 60, 1, 3600),
        tsa_url=tsa_url,
        tsa_roots=tsa_roots,
        tsa_username=env.get("SCEAU_TSA_USERNAME", ""),
        tsa_password=env.get("SCEAU_TSA_PASSWORD", ""),
        tsa_qualified=env_bool(env, "SCEAU_TSA_QUALIFIED", False),
        signature_roots=_existing_file(env, "SCEAU_SIGNATURE_ROOTS"),
        pc_rules=_existing_file(env, "SCEAU_PC_RULES"),
        email=email,
        smtp_host=env.get("SCEAU_SMTP_HOST") or "127.0.0.1",
        smtp_port=env_int(env, "SCEAU_SMTP_PORT", 587, 1, 65535),
        smtp_user=env.get("SCEAU_SMTP_USER", ""),
        smtp_password=env.get("SCEAU_SMTP_PASSWORD", ""),
        mail_from=env.get("SCEAU_MAIL_FROM") or "Sceau <ne-pas-repondre@sceau.invalid>",
    )
