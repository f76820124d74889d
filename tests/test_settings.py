"""`Settings.load`: `SESSIOND_*` variables over a TOML file over the defaults."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from sessiond.domain.errors import InvalidInput
from sessiond.settings import Settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_env_or_file() -> None:
    settings = Settings.load({})
    assert settings == Settings()
    assert settings.database_url == "sqlite:///sessiond.db"
    assert settings.redis_url is None
    assert settings.trusted_proxies == "127.0.0.0/8,::1/128"


EVERY_VARIABLE = {
    "SESSIOND_DATABASE_URL": "postgresql://sessiond@db:5432/sessiond",
    "SESSIOND_REDIS_URL": "redis://cache:6379/0",
    "SESSIOND_SMTP_URL": "smtp://mail:25",
    "SESSIOND_TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32",
    "SESSIOND_PLATFORM_KEY": "pk_platform_x",
    "SESSIOND_KRATOS_TENANT": "kratos",
    "SESSIOND_ROCKETCHAT_TENANT": "chat",
    "SESSIOND_DB_POOL_SIZE": "20",
    "SESSIOND_PASSWORD_TIME_COST": "3",
    "SESSIOND_PASSWORD_MEMORY_COST": "65536",
    "SESSIOND_TOKEN_CACHE_SIZE": "5000",
    "SESSIOND_HTTP_HEAD_TIMEOUT": "5",
    "SESSIOND_HTTP_BODY_TIMEOUT": "20",
    "SESSIOND_LOG_FORMAT": "json",
    "SESSIOND_METRICS_ENABLED": "false",
    "SESSIOND_METRICS_TOKEN": "scrape-secret",
    "SESSIOND_WEBHOOKS_DELIVER": "no",
    "SESSIOND_WEBHOOK_TIMEOUT": "2.5",
    "SESSIOND_WEBHOOK_CONCURRENCY": "3",
    "SESSIOND_WEBHOOK_FIRST_RETRY": "0.5",
    "SESSIOND_WEBHOOK_RETRY_FOR": "3600",
    "SESSIOND_WEBHOOK_LEASE": "30",
    "SESSIOND_WEBHOOK_POLL": "2",
}


def test_reads_every_setting_from_its_variable() -> None:
    assert Settings.load(EVERY_VARIABLE) == Settings(
        database_url="postgresql://sessiond@db:5432/sessiond",
        redis_url="redis://cache:6379/0",
        smtp_url="smtp://mail:25",
        trusted_proxies="10.0.0.0/8, 2001:db8::/32",
        platform_key="pk_platform_x",
        kratos_tenant="kratos",
        rocketchat_tenant="chat",
        db_pool_size=20,
        password_time_cost=3,
        password_memory_cost=65536,
        token_cache_size=5000,
        http_head_timeout=5,
        http_body_timeout=20,
        log_format="json",
        metrics_enabled=False,
        metrics_token="scrape-secret",
        webhooks_deliver=False,
        webhook_timeout=2.5,
        webhook_concurrency=3,
        webhook_first_retry=0.5,
        webhook_retry_for=3600.0,
        webhook_lease=30.0,
        webhook_poll=2.0,
    )


@pytest.mark.parametrize("raw", ["0", "-1", "soon", "nan", "inf"])
def test_webhook_times_are_positive_seconds(raw: str) -> None:
    with pytest.raises(InvalidInput, match="webhook_poll"):
        Settings.load({"SESSIOND_WEBHOOK_POLL": raw})


def test_every_setting_has_a_variable_and_a_line_in_the_readme() -> None:
    variables = {f"SESSIOND_{field.name.upper()}" for field in dataclasses.fields(Settings)}
    assert variables == set(EVERY_VARIABLE)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for variable in sorted(variables):
        assert f"`{variable}`" in readme, f"README.md does not document {variable}"


@pytest.mark.parametrize(("raw", "enabled"), [("true", True), (" Off ", False), ("0", False)])
def test_metrics_enabled_reads_a_flag(raw: str, enabled: bool) -> None:
    assert Settings.load({"SESSIOND_METRICS_ENABLED": raw}).metrics_enabled is enabled


def test_a_bad_flag_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="setting metrics_enabled must be true or false"):
        Settings.load({"SESSIOND_METRICS_ENABLED": "maybe"})
    config = write(tmp_path / "sessiond.toml", "metrics_enabled = false\n")
    assert Settings.load({}, config).metrics_enabled is False


def test_reads_the_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "sessiond.toml",
        'database_url = "sqlite:///from-file.db"\ndb_pool_size = 4\nkratos_tenant = "k"\n',
    )
    settings = Settings.load({}, config)
    assert settings.database_url == "sqlite:///from-file.db"
    assert settings.db_pool_size == 4
    assert settings.kratos_tenant == "k"
    assert settings.rocketchat_tenant == "default"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "sessiond.toml", 'database_url = "sqlite:///from-file.db"\ndb_pool_size = 4\n'
    )
    settings = Settings.load(
        {"SESSIOND_DATABASE_URL": "sqlite:///from-env.db", "SESSIOND_DB_POOL_SIZE": "7"}, config
    )
    assert settings.database_url == "sqlite:///from-env.db"
    assert settings.db_pool_size == 7


def test_an_empty_variable_leaves_the_file_value(tmp_path: Path) -> None:
    config = write(tmp_path / "sessiond.toml", 'database_url = "sqlite:///from-file.db"\n')
    settings = Settings.load({"SESSIOND_DATABASE_URL": ""}, config)
    assert settings.database_url == "sqlite:///from-file.db"


def test_other_variables_are_ignored() -> None:
    # CI sets SESSIOND_TEST_DATABASE_URL beside the real settings; it is not a setting.
    env = {"SESSIOND_TEST_DATABASE_URL": "postgresql://x/y", "PATH": "/bin", "DATABASE_URL": "z"}
    assert Settings.load(env) == Settings()


def test_unknown_keys_in_the_file_are_rejected(tmp_path: Path) -> None:
    config = write(tmp_path / "sessiond.toml", 'database_url = "sqlite:///a.db"\ndatabse = 1\n')
    with pytest.raises(InvalidInput, match="unknown settings: databse"):
        Settings.load({}, config)


def test_a_table_in_the_file_is_an_unknown_key(tmp_path: Path) -> None:
    config = write(tmp_path / "sessiond.toml", '[sessiond]\ndatabase_url = "sqlite:///a.db"\n')
    with pytest.raises(InvalidInput, match="unknown settings: sessiond"):
        Settings.load({}, config)


INT_SETTINGS = ("db_pool_size", "password_time_cost", "password_memory_cost")


@pytest.mark.parametrize("raw", ["abc", "1.5", " ", "0", "-3", "1e3", "ten"])
@pytest.mark.parametrize("name", INT_SETTINGS)
def test_bad_integers_from_the_environment_are_rejected(name: str, raw: str) -> None:
    with pytest.raises(InvalidInput, match=f"setting {name} must be"):
        Settings.load({f"SESSIOND_{name.upper()}": raw})


@pytest.mark.parametrize("raw", ["abc", "1.5", "-1", "1e3"])
def test_a_bad_token_cache_size_is_rejected_and_zero_turns_the_cache_off(raw: str) -> None:
    with pytest.raises(InvalidInput, match="setting token_cache_size must be"):
        Settings.load({"SESSIOND_TOKEN_CACHE_SIZE": raw})
    assert Settings.load({"SESSIOND_TOKEN_CACHE_SIZE": "0"}).token_cache_size == 0


@pytest.mark.parametrize("name", INT_SETTINGS)
def test_integers_from_the_environment_may_carry_spaces(name: str) -> None:
    assert getattr(Settings.load({f"SESSIOND_{name.upper()}": " 12 "}), name) == 12


@pytest.mark.parametrize("value", ['"many"', "1.5", "0", "-1", "true", "[1]"])
def test_bad_integers_from_the_file_are_rejected(tmp_path: Path, value: str) -> None:
    config = write(tmp_path / "sessiond.toml", f"db_pool_size = {value}\n")
    with pytest.raises(InvalidInput, match="setting db_pool_size must be"):
        Settings.load({}, config)


def test_integers_may_be_written_as_strings_in_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "sessiond.toml", 'password_time_cost = "5"\n')
    assert Settings.load({}, config).password_time_cost == 5


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read the config file"):
        Settings.load({}, tmp_path / "missing.toml")


def test_a_malformed_file_is_a_clear_error(tmp_path: Path) -> None:
    config = write(tmp_path / "sessiond.toml", "database_url = \n")
    with pytest.raises(InvalidInput, match="cannot read the config file"):
        Settings.load({}, config)


def test_trusted_proxies_are_checked_at_load() -> None:
    with pytest.raises(
        InvalidInput, match=re.escape("invalid trusted proxy network '10.0.0.300/8'")
    ):
        Settings.load({"SESSIOND_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.300/8"})
    assert len(Settings.load({"SESSIOND_TRUSTED_PROXIES": "192.0.2.0/24"}).proxies().networks) == 1


def test_a_file_may_trust_no_proxy(tmp_path: Path) -> None:
    config = write(tmp_path / "sessiond.toml", 'trusted_proxies = ""\n')
    assert Settings.load({}, config).proxies().networks == ()


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.database_url = "sqlite:///other.db"  # type: ignore[misc]
