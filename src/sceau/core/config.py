"""Configuration read from the environment and validated at start-up.

Every variable is listed in ``VARIABLES`` (name, default, meaning) so that the README table and
``sceau config`` are generated from the same source. A bad value stops start-up with a message
that names the variable and says what is expected: we refuse rather than guess.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """A setting has a value Sceau refuses to run with."""


@dataclass(frozen=True)
class Variable:
    """One setting: its default is stated here once, for ``load`` and the README alike.

    A default in parentheses or with ``<data dir>`` describes a value computed at start-up (a
    generated key, a path inside the data directory, a built-in authority): ``setting`` then
    gives "" and ``load`` computes it.
    """

    name: str
    default: str
    meaning: str

    @property
    def computed(self) -> bool:
        return (
            self.default.startswith("(")
            or self.default.endswith(")")
            or "<data dir>" in self.default
        )


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
    Variable(
        "SCEAU_WITNESSES",
        "",
        "Witnesses of the journal (c2sp.org/tlog-witness), separated by ';': each its "
        "add-checkpoint base URL, a space, and its verifier key (name+hash+base64key).",
    ),
    Variable("SCEAU_TSA_URL", "(built-in TEST authority)", "RFC 3161 timestamp authority URL."),
    Variable("SCEAU_TSA_ROOTS", "", "PEM file of the roots the authority's chain must reach."),
    Variable("SCEAU_TSA_USERNAME", "", "Basic-auth user for the authority, if it asks for one."),
    Variable("SCEAU_TSA_PASSWORD", "", "Basic-auth password for the authority."),
    Variable(
        "SCEAU_TSA_QUALIFIED",
        "false",
        "The authority is qualified (eIDAS); required in production.",
    ),
    Variable("SCEAU_SIGNATURE_ROOTS", "", "PEM file of roots trusted when validating signatures."),
    Variable(
        "SCEAU_PC_RULES", "(built-in, indicative)", "JSON file of dated Petites créances fees."
    ),
    Variable("SCEAU_EMAIL", "file", "Outgoing mail: file (under the data dir) or smtp."),
    Variable("SCEAU_SMTP_HOST", "127.0.0.1", "SMTP server (STARTTLS)."),
    Variable("SCEAU_SMTP_PORT", "587", "SMTP port."),
    Variable("SCEAU_SMTP_USER", "", "SMTP user."),
    Variable("SCEAU_SMTP_PASSWORD", "", "SMTP password."),
    Variable("SCEAU_MAIL_FROM", "Sceau <ne-pas-repondre@sceau.invalid>", "Sender of the mail."),
    Variable(
        "SCEAU_TRUSTED_PROXIES",
        "(none)",
        "Addresses or networks of the TLS proxies (nginx) whose client-certificate and "
        "X-Forwarded-* headers are believed; from anyone else they are ignored and journaled.",
    ),
    Variable(
        "SCEAU_OFFICER_PASSWORD_LOGIN",
        "true (false in production)",
        "Let officers sign in with password and TOTP (the demo); refused in production, where "
        "officers sign in with their certificate.",
    ),
    Variable("SCEAU_OFFICER_IDLE_MINUTES", "30", "Idle timeout of officer and creditor sessions."),
    Variable("SCEAU_SESSION_MAX_HOURS", "8", "Absolute lifetime of any web session, in hours."),
    Variable(
        "SCEAU_OIDC_ISSUER",
        "(none)",
        "OpenID Connect provider for parties (FranceConnect-compatible); empty: disabled.",
    ),
    Variable("SCEAU_OIDC_CLIENT_ID", "", "Client id registered with the OpenID Connect provider."),
    Variable("SCEAU_OIDC_CLIENT_SECRET", "", "Client secret registered with the provider."),
    Variable(
        "SCEAU_OIDC_SCOPES",
        "openid given_name family_name birthdate email",
        "Scopes asked of the provider (openid is required).",
    ),
    Variable(
        "SCEAU_OIDC_ACR_VALUES",
        "eidas1",
        "acr_values sent, and required of the ID token (FranceConnect: eidas1); none: neither.",
    ),
    Variable("SCEAU_OIDC_LABEL", "FranceConnect", "Name of the provider on the login pages."),
)

_BY_NAME = {v.name: v for v in VARIABLES}


def setting(env: Mapping[str, str], name: str) -> str:
    """The variable's value, or its default from ``VARIABLES`` when unset or empty."""
    raw = env.get(name)
    if raw is None or raw == "":
        variable = _BY_NAME[name]
        return "" if variable.computed else variable.default
    return raw


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(env: Mapping[str, str], name: str, default: bool | None = None) -> bool:
    """A true/false variable (refusing anything else); its default from ``VARIABLES`` unless
    ``default`` is given (a default computed from another setting)."""
    raw = env.get(name)
    if raw is None:
        return default if default is not None else _BY_NAME[name].default == "true"
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r}: expected true or false.")


def env_int(env: Mapping[str, str], name: str, lo: int, hi: int) -> int:
    """A whole number from ``lo`` to ``hi``; its default from ``VARIABLES``."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return int(_BY_NAME[name].default)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number.") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value}: expected a number from {lo} to {hi}.")
    return value


def parse_witnesses(value: str) -> tuple[tuple[str, str], ...]:
    """``URL VKEY; URL VKEY`` -> ((url, vkey), ...); the vkey is fully checked where it is used
    (its name, hash and key must agree), here only its shape."""
    found = []
    for item in value.split(";"):
        if not item.strip():
            continue
        parts = item.split()
        if len(parts) != 2:
            raise ConfigError(
                f"SCEAU_WITNESSES: {item.strip()[:80]!r}: expected 'URL VKEY' for each witness."
            )
        url, vkey = parts
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"SCEAU_WITNESSES: {url[:80]!r} is not an http(s):// address.")
        if vkey.count("+") < 2:
            raise ConfigError(f"SCEAU_WITNESSES: {vkey[:80]!r} is not a name+hash+key.")
        found.append((url.rstrip("/"), vkey))
    return tuple(found)


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
    witnesses: tuple[tuple[str, str], ...]
    tsa_url: str
    tsa_roots: Path | None
    tsa_username: str
    tsa_password: str
    tsa_qualified: bool
    signature_roots: Path | None
    pc_rules: Path | None
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    officer_password_login: bool
    officer_idle_seconds: int
    session_max_seconds: int
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str
    oidc_scopes: tuple[str, ...]
    oidc_acr_values: str
    oidc_label: str
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


def _networks(env: Mapping[str, str], name: str) -> tuple:
    raw = env.get(name, "").strip()
    nets = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not an address or network (e.g. 127.0.0.1, 10.0.0.0/24)."
            ) from None
    return tuple(nets)


def load(env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError naming the bad variable.

    Malformed values are refused in every mode. In production mode, every unsafe setting
    (see ``deploy_problems``) is refused too, all of them listed at once.
    """
    env = os.environ if env is None else env
    data_dir = Path(setting(env, "SCEAU_DATA_DIR")).expanduser().resolve()
    production = env_bool(env, "SCEAU_PRODUCTION")
    debug = env_bool(env, "SCEAU_DEBUG")
    try:
        ensure_private_dir(data_dir)
    except OSError as exc:
        raise ConfigError(f"SCEAU_DATA_DIR={data_dir}: cannot create it ({exc}).") from None

    secret_key = setting(env, "SCEAU_SECRET_KEY")
    if not secret_key and not production:
        secret_key = _generated_secret_key(data_dir)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'sceau.sqlite3'}"
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ConfigError(f"DATABASE_URL={database_url!r}: expected sqlite:/// or postgresql://.")

    hosts = tuple(h.strip() for h in (setting(env, "SCEAU_ALLOWED_HOSTS")).split(","))
    if not all(hosts):
        raise ConfigError("SCEAU_ALLOWED_HOSTS: list host names separated by commas.")

    public_url = (setting(env, "SCEAU_PUBLIC_URL")).rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError(f"SCEAU_PUBLIC_URL={public_url!r}: expected an http(s):// address.")
    https = env_bool(env, "SCEAU_HTTPS")

    cache_url = setting(env, "SCEAU_CACHE_URL")
    if not cache_url.startswith(("locmem://", "redis://", "rediss://")):
        raise ConfigError(f"SCEAU_CACHE_URL={cache_url!r}: expected locmem:// or redis://.")

    blob_store = (setting(env, "SCEAU_BLOB_STORE")).strip().lower()
    if blob_store not in {"local", "s3"}:
        raise ConfigError(f"SCEAU_BLOB_STORE={blob_store!r}: expected local or s3.")
    s3_bucket = setting(env, "SCEAU_S3_BUCKET")
    if blob_store == "s3" and not s3_bucket:
        raise ConfigError("SCEAU_BLOB_STORE=s3 needs SCEAU_S3_BUCKET.")

    email = (setting(env, "SCEAU_EMAIL")).strip().lower()
    if email not in {"file", "smtp"}:
        raise ConfigError(f"SCEAU_EMAIL={email!r}: expected file or smtp.")

    keyring_path = Path(env.get("SCEAU_KEYRING") or data_dir / "keys" / "keyring.json")

    tsa_url = setting(env, "SCEAU_TSA_URL").strip()
    tsa_roots = Path(setting(env, "SCEAU_TSA_ROOTS")) if setting(env, "SCEAU_TSA_ROOTS") else None
    if tsa_url and not tsa_url.startswith(("http://", "https://")):
        raise ConfigError(f"SCEAU_TSA_URL={tsa_url!r}: expected an http(s):// address.")
    if tsa_url and (tsa_roots is None or not tsa_roots.is_file()):
        raise ConfigError("SCEAU_TSA_URL needs SCEAU_TSA_ROOTS, a PEM file of trusted roots.")

    oidc_issuer = setting(env, "SCEAU_OIDC_ISSUER").strip().rstrip("/")
    oidc_client_id = setting(env, "SCEAU_OIDC_CLIENT_ID").strip()
    oidc_scopes = tuple((setting(env, "SCEAU_OIDC_SCOPES")).split())
    if oidc_issuer:
        if not oidc_issuer.startswith(("http://", "https://")):
            raise ConfigError(f"SCEAU_OIDC_ISSUER={oidc_issuer!r}: expected an http(s):// address.")
        if not oidc_client_id or not setting(env, "SCEAU_OIDC_CLIENT_SECRET"):
            raise ConfigError("SCEAU_OIDC_ISSUER needs SCEAU_OIDC_CLIENT_ID and _CLIENT_SECRET.")
        if "openid" not in oidc_scopes:
            raise ConfigError("SCEAU_OIDC_SCOPES must contain openid.")

    cfg = Config(
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
        s3_endpoint_url=setting(env, "SCEAU_S3_ENDPOINT_URL"),
        s3_region=setting(env, "SCEAU_S3_REGION"),
        s3_prefix=setting(env, "SCEAU_S3_PREFIX"),
        keyring_path=keyring_path,
        max_upload_bytes=env_int(env, "SCEAU_MAX_UPLOAD_MB", 1, 100_000) * 1_000_000,
        login_failures_before_lock=env_int(env, "SCEAU_LOGIN_FAILURES_BEFORE_LOCK", 1, 100),
        login_lock_seconds=env_int(env, "SCEAU_LOGIN_LOCK_MINUTES", 1, 1440) * 60,
        recipient_session_seconds=env_int(env, "SCEAU_RECIPIENT_SESSION_MINUTES", 1, 120) * 60,
        worker_interval_seconds=env_int(env, "SCEAU_WORKER_INTERVAL_SECONDS", 1, 86400),
        journal_retention_months=env_int(env, "SCEAU_JOURNAL_RETENTION_MONTHS", 18, 600),
        tree_head_seconds=env_int(env, "SCEAU_TREE_HEAD_SECONDS", 1, 3600),
        witnesses=parse_witnesses(setting(env, "SCEAU_WITNESSES")),
        tsa_url=tsa_url,
        tsa_roots=tsa_roots,
        tsa_username=setting(env, "SCEAU_TSA_USERNAME"),
        tsa_password=setting(env, "SCEAU_TSA_PASSWORD"),
        tsa_qualified=env_bool(env, "SCEAU_TSA_QUALIFIED"),
        signature_roots=_existing_file(env, "SCEAU_SIGNATURE_ROOTS"),
        pc_rules=_existing_file(env, "SCEAU_PC_RULES"),
        trusted_proxies=_networks(env, "SCEAU_TRUSTED_PROXIES"),
        officer_password_login=env_bool(env, "SCEAU_OFFICER_PASSWORD_LOGIN", not production),
        officer_idle_seconds=env_int(env, "SCEAU_OFFICER_IDLE_MINUTES", 1, 480) * 60,
        session_max_seconds=env_int(env, "SCEAU_SESSION_MAX_HOURS", 1, 24) * 3600,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret=setting(env, "SCEAU_OIDC_CLIENT_SECRET"),
        oidc_scopes=oidc_scopes,
        oidc_acr_values=(setting(env, "SCEAU_OIDC_ACR_VALUES")).strip(),
        oidc_label=(setting(env, "SCEAU_OIDC_LABEL")).strip(),
        email=email,
        smtp_host=setting(env, "SCEAU_SMTP_HOST"),
        smtp_port=env_int(env, "SCEAU_SMTP_PORT", 1, 65535),
        smtp_user=setting(env, "SCEAU_SMTP_USER"),
        smtp_password=setting(env, "SCEAU_SMTP_PASSWORD"),
        mail_from=setting(env, "SCEAU_MAIL_FROM"),
    )
    if cfg.https and not cfg.trusted_proxies:
        raise ConfigError(
            "SCEAU_HTTPS=true needs SCEAU_TRUSTED_PROXIES (the TLS proxy's address): without "
            "it Sceau cannot tell that requests arrived over TLS."
        )
    if production:
        problems = deploy_problems(cfg)
        if problems:
            raise ConfigError(
                "production mode refuses to start with these unsafe settings:\n"
                + "\n".join(f"  - {p}" for p in problems)
            )
    return cfg


def deploy_problems(cfg: Config) -> list[str]:
    """Every setting of ``cfg`` that is unsafe for production, one sentence each.

    ``sceau check --deploy`` prints this list; production mode refuses to start unless it is
    empty. Each line names the variable and says what to set.
    """
    problems = []
    if cfg.debug:
        problems.append("SCEAU_DEBUG=true: debug pages show internals; set it to false.")
    if len(cfg.secret_key) < 50 or len(set(cfg.secret_key)) < 5:
        problems.append("SCEAU_SECRET_KEY: set a random key of 50 characters or more.")
    if not cfg.https or not cfg.public_url.startswith("https://"):
        problems.append(
            "SCEAU_HTTPS / SCEAU_PUBLIC_URL: production needs SCEAU_HTTPS=true and an https:// "
            "public address (secure cookies, HSTS)."
        )
    if "*" in cfg.allowed_hosts:
        problems.append("SCEAU_ALLOWED_HOSTS: list the host names served, not '*'.")
    if cfg.database_url.startswith("sqlite"):
        problems.append("DATABASE_URL: production runs on PostgreSQL, not SQLite.")
    if cfg.cache_url.startswith("locmem"):
        problems.append(
            "SCEAU_CACHE_URL=locmem://: login limits would count per process; use redis://."
        )
    if cfg.email != "smtp":
        problems.append("SCEAU_EMAIL: set smtp (mail written to files reaches nobody).")
    if not cfg.tsa_url:
        problems.append(
            "SCEAU_TSA_URL: set a qualified timestamp authority (the built-in one is not "
            "qualified)."
        )
    elif not cfg.tsa_qualified:
        problems.append("SCEAU_TSA_QUALIFIED: the configured authority must be qualified (true).")
    if cfg.officer_password_login:
        problems.append(
            "SCEAU_OFFICER_PASSWORD_LOGIN=true: officers must sign in with their certificate; "
            "set it to false."
        )
    if not cfg.trusted_proxies:
        problems.append(
            "SCEAU_TRUSTED_PROXIES: name the TLS proxy (nginx) that verifies officers' "
            "certificates; without it no officer can sign in."
        )
    if cfg.oidc_issuer and not cfg.oidc_issuer.startswith("https://"):
        problems.append("SCEAU_OIDC_ISSUER: the provider must be reached over https://.")
    return problems
