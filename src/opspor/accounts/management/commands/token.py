from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opspor.accounts.models import TokenScope, User
from opspor.accounts.tokens import api_token_issue, longest_lifetime_days


class Command(BaseCommand):
    help = (
        "Print a new API bearer token for USERNAME. It expires after --days days "
        "(OPSPOR_API_TOKEN_DAYS, the longest allowed, unless given); a read token may only "
        "use GET and HEAD."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--scope",
            choices=TokenScope.values,
            default=TokenScope.WRITE,
            help="read: GET and HEAD only; write (default): every method",
        )
        parser.add_argument("--days", type=int, default=None, help="days until it expires")

    def handle(
        self, *args: Any, username: str, scope: str, days: int | None, **options: Any
    ) -> None:
        longest = longest_lifetime_days()
        if days is not None and not 1 <= days <= longest:
            raise CommandError(f"--days is from 1 to {longest} (OPSPOR_API_TOKEN_DAYS).")
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {username!r}.") from None
        self.stdout.write(api_token_issue(user=user, scope=scope, days=days))
