"""In-memory Azure DevOps Git API (``app.DevOpsApp``) and a standalone loopback server for it (``server.AppServer``).

Imports only ``apiops_emulator.http`` (the ``App`` protocol), never the APIM emulator, so it can be
mounted on the APIM emulator's server or run on its own.
"""
from __future__ import annotations

from .app import DevOpsApp, git_blob_id
from .server import AppServer

__all__ = ["AppServer", "DevOpsApp", "git_blob_id"]
