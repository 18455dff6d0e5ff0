"""The ``escalator`` command: a click group whose subcommands live one module each."""

from __future__ import annotations

import importlib
from typing import Any

import click

from escalator.cli.common import fail, report_unexpected
from escalator.errors import EscalatorError, UserError

# command name -> module under escalator.cli that defines a click command named `command`
COMMANDS: dict[str, str] = {
    "init": "init_cmd",
    "config": "config_cmd",
    "models": "models",
    "ask": "ask",
    "classify": "classify",
    "validate": "validate",
    "run": "run",
    "batch": "batch",
    "resume": "review",
    "review": "review",
    "apply": "review",
    "log": "log",
    "stats": "log",
    "report": "report",
    "tune": "tune",
    "replay": "replay",
    "bench": "bench",
    "replay-server": "bench",
    "demo": "demo",
    "mcp": "mcp",
}


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand runs (fast start-up)."""

    def invoke(self, ctx: click.Context) -> Any:
        """The last guard: whatever a command lets escape ends in one line, never a
        traceback (``ESCALATOR_DEBUG=1`` shows it)."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except UserError as exc:
            fail(str(exc), 2)
        except EscalatorError as exc:
            fail(str(exc), 1)
        except Exception as exc:
            ctx.exit(report_unexpected(exc))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if self._load(name) is not None]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        module_name = COMMANDS.get(name)
        if module_name is None:
            return None
        try:
            module = importlib.import_module(f"escalator.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"escalator.cli.{module_name}":
                return None
            raise
        attr = name.replace("-", "_") + "_command"
        command = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Config file (default: $ESCALATOR_CONFIG, ./escalator.toml, then the user config dir).",
)
@click.version_option(package_name="escalator")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Escalator: cheap local models first, proven results, paid models only when needed."""
    ctx.ensure_object(dict)["config_path"] = config_path


def main() -> None:
    cli(prog_name="escalator")


if __name__ == "__main__":
    main()
