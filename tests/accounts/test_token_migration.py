"""Tokens issued before tokens had an expiry and a scope keep working after the migration:
scope `write`, expiring `OPSPOR_API_TOKEN_DAYS` days after the migration ran.

The database is migrated back, a token written through the historical models, and migrated
forward; the test leaves it at the latest migrations for the tests that follow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pytest_django.fixtures import Settings

from opspor.accounts.models import ApiToken, TokenScope
from tests.migrating import migrate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE: list[tuple[str, str | None]] = [("accounts", "0003_access_log_moves_to_records")]
MIGRATED_AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _latest(latest_migrations_afterwards: None) -> None:
    pass


def test_an_existing_token_gets_the_scope_write_and_an_expiry(settings: Settings) -> None:
    settings.OPSPOR_API_TOKEN_DAYS = 30
    apps = migrate(BEFORE)
    user = apps.get_model("accounts.User").objects.create(username="gp.old", role="gp")
    old = apps.get_model("accounts.ApiToken").objects.create(
        user=user, digest="a" * 64, prefix="aaaaaaaa"
    )
    with time_machine.travel(MIGRATED_AT, tick=False):
        migrate()
    token = ApiToken.objects.get(pk=old.pk)
    assert token.scope == TokenScope.WRITE
    assert token.expires_at == MIGRATED_AT + timedelta(days=30)
    assert (token.user_id, token.digest, token.revoked_at) == (user.pk, "a" * 64, None)
