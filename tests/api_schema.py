"""The API's OpenAPI schema as a client reads it: with a bearer token (the schema is not
public, opspor/api.py)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from opspor.accounts.tokens import api_token_issue
from tests import factories


def schema_headers() -> dict[str, str]:
    """An Authorization header for a fresh GP's token, enough to read the schema."""
    return {"Authorization": f"Bearer {api_token_issue(user=factories.user())}"}


def openapi_schema(base_url: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{base_url}/api/v1/openapi.json", headers=schema_headers())
    with urllib.request.urlopen(request, timeout=10) as response:
        schema: dict[str, Any] = json.loads(response.read())
    return schema
