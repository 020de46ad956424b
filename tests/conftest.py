from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from pytest_django.fixtures import Settings

# No patient data in any log line written during the run (tests/log_scan.py); pytester runs
# that plugin on a small session of its own to show it catching a line; tests/logs.py reads
# back what the settings' log handler writes.
pytest_plugins = ["tests.log_scan", "tests.logs", "pytester"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    # The production hasher is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _api_rate_limit_out_of_the_way(settings: Settings) -> None:
    # The schema fuzzing and the API tests send hundreds of requests a minute with one
    # token; the limit stays on (its code runs in every API test) but far above them.
    # tests/accounts/test_rate_limit.py sets its own.
    settings.OPSPOR_API_RATE_LIMIT = 1_000_000


@pytest.fixture(autouse=True)
def _site_language_after_each_test() -> Iterator[None]:
    # A request in another language leaves that language active in the thread (Django's
    # locale middleware does not reset it), which would leak into the next test.
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """`client.force_login(user)` gives a staff user a session that the second factor has
    verified, as if they had typed their authenticator's code; without this every staff
    page would answer with the code step (accounts/middleware.py). The password and code
    steps themselves, and the refusal of an unverified staff session, are tested through
    the real pages in tests/accounts (`password_only_login` keeps Django's plain one)."""
    from django.test import Client

    from opspor.accounts.two_factor import needs_second_factor
    from tests.two_factor import verify_client_session

    plain = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        plain(self, user, backend)
        if needs_second_factor(user):
            verify_client_session(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def password_only_login() -> Callable[..., None]:
    """Django's own `force_login`: a session that a password alone opened, unverified."""
    from django.test.client import ClientMixin

    # The patch above replaces `Client.force_login`; the mixin keeps Django's.
    return ClientMixin.force_login


@pytest.fixture
def latest_migrations_afterwards(transactional_db: None) -> Iterator[None]:
    """For tests that migrate back: even a failing one must not leave the older schema
    behind for the tests after it."""
    from tests.migrating import migrate

    yield
    migrate()


# Tests that use no database, by directory or file. CI's second pass, on PostgreSQL
# (`make test-db`), leaves them out (the Makefile lists the same ones), so a test there that
# asks for the database would never run on PostgreSQL: it is refused when collected.
NO_DATABASE_TESTS = (
    "tests/engine",
    "tests/synth",
    "tests/population/scan",
    "tests/benchmarks",
    "tests/test_layers.py",
    "tests/test_makefile.py",
    "tests/test_timeouts.py",
    "tests/test_translations.py",
)


def left_out_on_postgresql(item: pytest.Item) -> bool:
    return any(item.nodeid.startswith((f"{path}/", f"{path}::")) for path in NO_DATABASE_TESTS)


def asks_for_the_database(item: pytest.Item) -> bool:
    from django.test import TransactionTestCase

    test_class = getattr(item, "cls", None)
    return (
        item.get_closest_marker("django_db") is not None
        # Every fixture that opens the test database depends on this one.
        or "django_db_setup" in getattr(item, "fixturenames", ())
        or (test_class is not None and issubclass(test_class, TransactionTestCase))
    )


# Longer time limits than pyproject's default, by marker, for a test that sets none of its
# own: a browser test starts chromium and a live server (the first one of a run also builds
# the static files' manifest), a slow one is slow by definition.
TIME_LIMITS_S = {"browser": 300, "slow": 600}


def with_time_limits(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        limits = [s for name, s in TIME_LIMITS_S.items() if item.get_closest_marker(name)]
        if limits:
            item.add_marker(pytest.mark.timeout(max(limits)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    with_time_limits(items)
    misplaced = [
        item.nodeid
        for item in items
        if left_out_on_postgresql(item) and asks_for_the_database(item)
    ]
    if misplaced:
        raise pytest.UsageError(
            "These tests use the database but lie where the PostgreSQL pass does not look "
            f"({', '.join(NO_DATABASE_TESTS)}); move them: {', '.join(misplaced)}"
        )
