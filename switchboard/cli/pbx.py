"""``switchboard pbx``: provision, start, stop and inspect the managed Asterisk."""

from __future__ import annotations

import typer

from switchboard.asterisk_access import asterisk_instance
from switchboard.cli.common import clear_errors, fail, say, settings

app = typer.Typer(help="Manage the Asterisk instance Switchboard runs.", no_args_is_help=True)


def _managed() -> None:
    if settings().asterisk.mode == "external":
        fail("asterisk.mode is external: that Asterisk is managed elsewhere")


@app.command()
def install() -> None:
    """Find a system Asterisk 20+ or provision Asterisk 22 (idempotent)."""
    _managed()
    with clear_errors():
        instance = asterisk_instance(settings(), say)
        instance.prepare()
        say(
            f"Asterisk {instance.runtime.version} ready; configuration in "
            f"{instance.host(instance.paths.etc)}"
        )


@app.command()
def start() -> None:
    """Start the instance (provisioning first if needed)."""
    _managed()
    with clear_errors():
        asterisk_instance(settings(), say).start(say)


@app.command()
def stop() -> None:
    """Stop the instance now."""
    _managed()
    with clear_errors():
        stopped = asterisk_instance(settings(), say).stop()
        say("stopped" if stopped else "not running")


@app.command()
def status() -> None:
    """Whether the instance runs, and its version, uptime and channels."""
    _managed()
    with clear_errors():
        instance = asterisk_instance(settings(), say)
        if not instance.is_running():
            say(f"Asterisk instance '{instance.name}': not running")
            raise typer.Exit(3)
        say(f"Asterisk instance '{instance.name}': running")
        say(instance.cli("core show uptime").strip())
        say(instance.cli("core show channels count").strip())


@app.command()
def cli(command: str = typer.Argument(..., help='e.g. "pjsip show endpoints"')) -> None:
    """Run one Asterisk CLI command on the instance."""
    _managed()
    with clear_errors():
        say(asterisk_instance(settings(), say).cli(command).rstrip())
