import pytest
from tests.helpers import safe_production_env

from sceau.core.config import ConfigError, load


def env(tmp_path, **extra):
    return {"SCEAU_DATA_DIR": str(tmp_path / "data"), **extra}


def test_defaults_create_a_private_data_dir(tmp_path):
    cfg = load(env(tmp_path))
    assert cfg.data_dir.is_dir() and (cfg.data_dir.stat().st_mode & 0o777) == 0o700
    secret = cfg.data_dir / "secret_key"
    assert (secret.stat().st_mode & 0o777) == 0o600
    assert load(env(tmp_path)).secret_key == cfg.secret_key  # stable across starts
    assert cfg.database_url.startswith("sqlite:///") and cfg.max_upload_bytes == 200_000_000


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"SCEAU_DEBUG": "maybe"}, "SCEAU_DEBUG"),
        ({"SCEAU_MAX_UPLOAD_MB": "lots"}, "SCEAU_MAX_UPLOAD_MB"),
        ({"SCEAU_MAX_UPLOAD_MB": "0"}, "SCEAU_MAX_UPLOAD_MB"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"SCEAU_BLOB_STORE": "ftp"}, "SCEAU_BLOB_STORE"),
        ({"SCEAU_BLOB_STORE": "s3"}, "SCEAU_S3_BUCKET"),
        ({"SCEAU_CACHE_URL": "memcached://x"}, "SCEAU_CACHE_URL"),
        ({"SCEAU_PUBLIC_URL": "ftp://x"}, "SCEAU_PUBLIC_URL"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(tmp_path, extra, named):
    with pytest.raises(ConfigError, match=named):
        load(env(tmp_path, **extra))


def test_production_refuses_every_unsafe_setting_at_once(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(env(tmp_path, SCEAU_PRODUCTION="true", SCEAU_DEBUG="true"))
    message = str(caught.value)
    for named in (
        "SCEAU_DEBUG",
        "SCEAU_SECRET_KEY",
        "SCEAU_HTTPS",
        "DATABASE_URL",
        "SCEAU_CACHE_URL",
        "SCEAU_EMAIL",
        "SCEAU_TSA_URL",
        "SCEAU_TRUSTED_PROXIES",
    ):
        assert named in message
    # in production the officers' password login is off unless asked for (then refused)
    assert "SCEAU_OFFICER_PASSWORD_LOGIN" not in message
    assert not (tmp_path / "data" / "secret_key").exists()  # no generated key in production


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SCEAU_DEBUG": "true"}, "SCEAU_DEBUG"),
        ({"SCEAU_SECRET_KEY": "short"}, "SCEAU_SECRET_KEY"),
        ({"SCEAU_HTTPS": "false"}, "SCEAU_HTTPS"),
        ({"SCEAU_PUBLIC_URL": "http://mespieces.example"}, "SCEAU_PUBLIC_URL"),
        ({"SCEAU_ALLOWED_HOSTS": "*"}, "SCEAU_ALLOWED_HOSTS"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"SCEAU_CACHE_URL": "locmem://"}, "SCEAU_CACHE_URL"),
        ({"SCEAU_EMAIL": "file"}, "SCEAU_EMAIL"),
        ({"SCEAU_TSA_QUALIFIED": "false"}, "SCEAU_TSA_QUALIFIED"),
        ({"SCEAU_OFFICER_PASSWORD_LOGIN": "true"}, "SCEAU_OFFICER_PASSWORD_LOGIN"),
        ({"SCEAU_TRUSTED_PROXIES": ""}, "SCEAU_TRUSTED_PROXIES"),
        (
            {
                "SCEAU_OIDC_ISSUER": "http://fc.example",
                "SCEAU_OIDC_CLIENT_ID": "c",
                "SCEAU_OIDC_CLIENT_SECRET": "s",
            },
            "SCEAU_OIDC_ISSUER",
        ),
    ],
)
def test_production_names_each_unsafe_setting(tmp_path, change, named):
    safe = safe_production_env(tmp_path)
    cfg = load(env(tmp_path, **safe))
    assert cfg.production and not cfg.officer_password_login
    with pytest.raises(ConfigError, match=named):
        load(env(tmp_path, **{**safe, **change}))


def test_development_mode_reports_but_does_not_refuse(tmp_path):
    from sceau.core.config import deploy_problems

    cfg = load(env(tmp_path))
    assert cfg.officer_password_login
    problems = deploy_problems(cfg)
    assert any("SCEAU_OFFICER_PASSWORD_LOGIN" in p for p in problems)
    assert any("SCEAU_TRUSTED_PROXIES" in p for p in problems)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"SCEAU_TRUSTED_PROXIES": "nginx.local"}, "SCEAU_TRUSTED_PROXIES"),
        ({"SCEAU_OIDC_ISSUER": "https://fc.example"}, "SCEAU_OIDC_CLIENT_ID"),
        ({"SCEAU_OIDC_ISSUER": "fc.example"}, "SCEAU_OIDC_ISSUER"),
    ],
)
def test_bad_identity_settings_are_refused(tmp_path, extra, named):
    with pytest.raises(ConfigError, match=named):
        load(env(tmp_path, **extra))


def test_every_variable_read_is_documented():
    import re
    from pathlib import Path

    from sceau.core.config import VARIABLES

    source = Path(__file__).resolve().parents[2].joinpath("src/sceau/core/config.py").read_text()
    read = set(re.findall(r'"((?:SCEAU_|DATABASE_)[A-Z0-9_]+)"', source))
    read = {name for name in read if not name.endswith("_")}
    documented = {v.name for v in VARIABLES}
    assert read - documented == set()


def test_https_needs_the_trusted_proxy(tmp_path):
    with pytest.raises(ConfigError, match="SCEAU_TRUSTED_PROXIES"):
        load(env(tmp_path, SCEAU_HTTPS="true"))
    cfg = load(env(tmp_path, SCEAU_HTTPS="true", SCEAU_TRUSTED_PROXIES="127.0.0.2, 10.1.0.0/16"))
    assert [str(n) for n in cfg.trusted_proxies] == ["127.0.0.2/32", "10.1.0.0/16"]


def test_every_literal_default_is_stated_once_and_is_what_load_uses(tmp_path):
    """Issue #10, finding 10: config.py stated every default twice (VARIABLES and load())."""
    from pathlib import Path

    from sceau.core.config import VARIABLES, load, setting

    cfg = load({"SCEAU_DATA_DIR": str(tmp_path)})
    literal = {v.name: v.default for v in VARIABLES if not v.computed}
    assert literal["SCEAU_MAIL_FROM"] == cfg.mail_from
    assert literal["SCEAU_S3_PREFIX"] == cfg.s3_prefix
    assert int(literal["SCEAU_SMTP_PORT"]) == cfg.smtp_port
    assert int(literal["SCEAU_TREE_HEAD_SECONDS"]) == cfg.tree_head_seconds
    assert int(literal["SCEAU_LOGIN_LOCK_MINUTES"]) * 60 == cfg.login_lock_seconds
    for name, default in literal.items():
        assert setting({}, name) == default
    source = Path(__file__).resolve().parents[2].joinpath("src/sceau/core/config.py").read_text()
    load_source = source[source.index("def load(") :]
    for name in literal:  # read through setting/env_int/env_bool, which take VARIABLES' default
        assert f'env.get("{name}"' not in load_source, f"{name} is read with its own default"
