"""What every command shares: the ``Context`` handed to ``run``, the exit codes, the target options.

It lives here, below ``cli.py``, so the command modules never import the module that imports them
(``cli`` loads each command by name; ``cli`` re-exports these names for callers that used them there).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from ..errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from ..arm import ArmClient

__all__ = ["Context", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "add_target_arguments"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass
class Context:
    """What a command needs from the outside world, passed in rather than read globally."""

    environ: Mapping[str, str]
    log: logging.Logger
    stdout: Callable[[str], None] = field(default=lambda text: print(text))
    #: colour the text written with ``stdout`` (a terminal, no NO_COLOR / --no-color, not a pipeline)
    color: bool = False
    #: stderr is a terminal: progress bars instead of periodic plain lines
    tty: bool = False
    #: the user refused colour (--no-color, NO_COLOR): progress bars are drawn without it too
    no_color: bool = False

    def env(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name)
        return value if value not in (None, "") else default

    def make_arm(self, args: argparse.Namespace, *, service_name: str | None = None) -> "ArmClient":
        """Build the one ARM client from options, environment and credentials."""
        from ..arm import ArmClient
        from ..auth import build_credential, resolve_cloud

        cloud = resolve_cloud(self.environ, getattr(args, "arm_endpoint", None))
        subscription = getattr(args, "subscription_id", None) or self.env("AZURE_SUBSCRIPTION_ID")
        group = getattr(args, "resource_group", None) or self.env("AZURE_RESOURCE_GROUP_NAME")
        service = getattr(args, "service_name", None) or self.env("API_MANAGEMENT_SERVICE_NAME") or service_name
        missing = [
            label
            for label, value in (
                ("--subscription-id / AZURE_SUBSCRIPTION_ID", subscription),
                ("--resource-group / AZURE_RESOURCE_GROUP_NAME", group),
                ("--service-name / API_MANAGEMENT_SERVICE_NAME", service),
            )
            if not value
        ]
        if missing:
            raise ConfigError("the target instance is not fully named; set " + ", ".join(missing))
        parallelism = getattr(args, "parallelism", None) or int(self.env("APIOPS_PARALLELISM", "8") or 8)
        if parallelism < 1:
            raise ConfigError("--parallelism must be at least 1")
        return ArmClient(
            endpoint=cloud.arm_endpoint,
            credential=build_credential(self.environ, cloud),
            subscription_id=str(subscription),
            resource_group=str(group),
            service_name=str(service),
            ca_bundle=getattr(args, "ca_bundle", None) or self.env("APIOPS_CA_BUNDLE"),
            parallelism=parallelism,
            api_version=getattr(args, "api_version", None) or self.env("ARM_API_VERSION", "2024-05-01") or "2024-05-01",
            scope=cloud.scope,
        )


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every command that talks to ARM shares (environment variables as fallbacks)."""
    group = parser.add_argument_group("target instance")
    group.add_argument("--subscription-id", help="Azure subscription id (env AZURE_SUBSCRIPTION_ID)")
    group.add_argument("--resource-group", help="resource group of the instance (env AZURE_RESOURCE_GROUP_NAME)")
    group.add_argument("--service-name", help="API Management instance name (env API_MANAGEMENT_SERVICE_NAME)")
    group.add_argument("--arm-endpoint", help="ARM endpoint URL (env APIOPS_ARM_ENDPOINT or AZURE_CLOUD_ENVIRONMENT)")
    group.add_argument("--ca-bundle", help="CA bundle PEM to trust, e.g. the emulator's (env APIOPS_CA_BUNDLE)")
    group.add_argument("--parallelism", type=int, help="bound on concurrent ARM requests (env APIOPS_PARALLELISM, default 8)")
    group.add_argument("--api-version", help="ARM api-version (env ARM_API_VERSION, default 2024-05-01)")
