"""One seeded demo region for the export tests that read a whole practice, made once per
module and rolled back at its end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from pytest_django import DjangoDbBlocker

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def seeded_region(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        call_command(
            "seed", patients=150, seed=3, as_of=AS_OF.isoformat(), progress=False, stdout=StringIO()
        )
        yield
        transaction.set_rollback(True)
