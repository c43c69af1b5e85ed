import pytest

from sceau.config import ConfigError, load


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


def test_production_refuses_development_settings(tmp_path):
    with pytest.raises(ConfigError, match="SCEAU_SECRET_KEY"):
        load(env(tmp_path, SCEAU_PRODUCTION="true"))
    key = "k" * 50
    with pytest.raises(ConfigError, match="DEBUG"):
        load(env(tmp_path, SCEAU_PRODUCTION="true", SCEAU_DEBUG="true", SCEAU_SECRET_KEY=key))
    with pytest.raises(ConfigError, match="HTTPS"):
        load(env(tmp_path, SCEAU_PRODUCTION="true", SCEAU_SECRET_KEY=key))
    safe = {
        "SCEAU_PRODUCTION": "true",
        "SCEAU_SECRET_KEY": key,
        "SCEAU_HTTPS": "true",
        "SCEAU_PUBLIC_URL": "https://mespieces.example",
    }
    with pytest.raises(ConfigError, match="SCEAU_EMAIL"):  # mail written to files: demo only
        load(env(tmp_path, **safe))
    safe["SCEAU_EMAIL"] = "smtp"
    with pytest.raises(ConfigError, match="SCEAU_TSA_URL"):  # the built-in TSA is not qualified
        load(env(tmp_path, **safe))
    with pytest.raises(ConfigError, match="SCEAU_TSA_ROOTS"):
        load(env(tmp_path, **safe, SCEAU_TSA_URL="https://tsa.example/tsp"))
    roots = tmp_path / "roots.pem"
    roots.write_text("-----BEGIN CERTIFICATE-----\n")
    cfg = load(
        env(tmp_path, **safe, SCEAU_TSA_URL="https://tsa.example/tsp", SCEAU_TSA_ROOTS=str(roots))
    )
    assert cfg.production and cfg.tsa_url
