"""Helpers shared by the extract tests (a uniquely named module: tests have no packages)."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken


class TokenCredential:
    """A fixed bearer token (the emulator's); auth.py's credential builder is tested elsewhere."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)
