import importlib
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from kehu.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_production_hashes_passwords_with_argon2():
    import kehu.settings as production_settings

    importlib.reload(production_settings)
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_login_and_logout(client, org):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("customers:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("customers:list")).status_code == 302


def test_failed_logins_are_throttled(client, org, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
    assert client.post(reverse("login"), {"username": "alice", "password": "wrong"}).status_code == 429
    # Locked now, even with the right password; another user name from the same address is not.
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.post(reverse("login"), {"username": "bob", "password": PASSWORD}).status_code == 302


def test_forms_need_csrf(org):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.alice)
    response = strict.post(reverse("customers:new"), {"name": "甲", "lifecycle": "prospect"})
    assert response.status_code == 403


def test_deploy_check_passes_in_production():
    env = {**os.environ, "KEHU_ENV": "production", "SECRET_KEY": "x" * 60 + "-Kehu-Production-Key-Example",
           "ALLOWED_HOSTS": "kehu.example.com", "DATABASE_URL": os.environ.get("DATABASE_URL", "")}
    env.pop("DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "kehu.cli", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {**os.environ, "KEHU_ENV": "production", "SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "-m", "kehu.cli", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_language_switch(client, org):
    client.force_login(org.alice)
    client.post(reverse("set_language"), {"language": "en", "next": "/customers/"})
    assert "Customers" in client.get(reverse("customers:list")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/customers/"})
    assert "客户" in client.get(reverse("customers:list")).content.decode()
