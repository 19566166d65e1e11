"""Local APIM management-plane emulator (ARM REST over HTTPS on loopback). Imports nothing from the client side.

Public API: :class:`Emulator` (context manager), :class:`ServiceInfo`, the route table
``routes.ROUTES``, and the app interface in ``apiops_emulator.http`` (``Request``, ``Response``, ``App``) for
mounting further apps on the same server.
"""
from __future__ import annotations

from .context import ServiceInfo
from .emulator import CANONICAL_TOKEN, Emulator
from ..http import App, Request, Response
from .routes import ROUTES, Route

__all__ = ["CANONICAL_TOKEN", "App", "Emulator", "ROUTES", "Request", "Response", "Route", "ServiceInfo"]
