from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    # The production hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _site_language_after_each_test() -> Iterator[None]:
    # A request in another language leaves that language active in the thread (Django's
    # locale middleware does not reset it), which would leak into the next test.
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture
def latest_migrations_afterwards(transactional_db: None) -> Iterator[None]:
    """For tests that migrate back: even a failing one must not leave the older schema
    behind for the tests after it."""
    from tests.migrating import migrate

    yield
    migrate()
