"""`careloop check --deploy` is clean with production variables and loud without them."""

import os
import subprocess
import sys

from cryptography.fernet import Fernet

PRODUCTION = {
    "CARELOOP_SECRET_KEY": "x7#Kq!" + "Z" * 20 + "p0-9aBcDeFgHiJkLmNoPqRsTuVwXyZ" + "k" * 20,
    "CARELOOP_FIELD_KEY": Fernet.generate_key().decode(),
    "CARELOOP_HTTPS": "1",
    "ALLOWED_HOSTS": "careloop.example.cn",
    "CARELOOP_DEBUG": "0",
}


def _check(extra: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CARELOOP_") and key not in {"ALLOWED_HOSTS"}
    }
    env.update(CARELOOP_DATA_DIR=str(tmp_path), **extra)
    return subprocess.run(
        [sys.executable, "-m", "careloop.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _check(PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_embedded_defaults_are_reported_by_check_deploy(tmp_path):
    result = _check({}, tmp_path)
    assert result.returncode != 0
    assert "careloop.E001" in result.stderr
    assert "careloop.E002" in result.stderr
