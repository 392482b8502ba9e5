"""``switchboard``: run the system and administer it."""

from __future__ import annotations

import asyncio
import json
import signal

import typer

from channels import cli as channels_cli
from switchboard import migrate
from switchboard.asterisk_access import asterisk_instance, pbx_credentials
from switchboard.cli import acd, admin, flows, notices, pbx
from switchboard.cli.common import clear_errors, configure_logging, fail, say, settings
from switchboard.db import redacted
from switchboard.secrets import load_or_create_secrets, mask
from switchboard.settings import Settings

app = typer.Typer(help="Switchboard contact center.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the effective settings.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(pbx.app, name="pbx")
app.add_typer(admin.app, name="admin")
app.add_typer(notices.app, name="notice")
app.add_typer(channels_cli.app, name="channels")
app.add_typer(acd.agent_app, name="agent")
app.add_typer(acd.queue_app, name="queue")
app.add_typer(acd.team_app, name="team")
app.add_typer(flows.app, name="flows", help="Validate, simulate and describe IVR flows.")


@config_app.command("show")
def config_show() -> None:
    """Print the effective settings (environment over TOML over defaults), secrets masked."""
    current = settings()
    data = current.model_dump(mode="json")
    data["database_url"] = redacted(current.effective_database_url)
    for key in ("ari_password", "ami_secret"):
        data["asterisk"][key] = mask(data["asterisk"][key]) if data["asterisk"][key] else None
    secrets = load_or_create_secrets(current.state_dir)
    data["secrets"] = {
        "file": str(current.state_dir / "secrets.json"),
        "ari_password": mask(secrets.ari_password),
        "ami_secret": mask(secrets.ami_secret),
        "api_token": mask(secrets.api_token),
    }
    say(json.dumps(data, indent=2))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations."""
    current = settings()
    with clear_errors():
        migrate.upgrade(current.effective_database_url)
    say(f"database at {redacted(current.effective_database_url)} is up to date")


@app.command()
def controller() -> None:
    """Run only the ARI call controller (Asterisk must be running)."""
    _serve(controller=True, web=False, manage_pbx=False)


@app.command()
def web() -> None:
    """Run only the web app."""
    _serve(controller=False, web=True, manage_pbx=False)


@app.command()
def up(
    no_web: bool = typer.Option(False, "--no-web", help="Do not serve the web app"),
) -> None:
    """Run everything: Asterisk (if managed), migrations, the controller and the web app."""
    _serve(controller=True, web=not no_web, manage_pbx=True)


def _serve(*, controller: bool, web: bool, manage_pbx: bool) -> None:
    current = settings()
    configure_logging(current.log_level)
    instance = None
    started_here = False
    with clear_errors():
        pbx_credentials(current, load_or_create_secrets(current.state_dir))
        if manage_pbx and current.asterisk.mode != "external":
            instance = asterisk_instance(current, say)
            started_here = instance.start(say)
        migrate.upgrade(current.effective_database_url)
        asterisk = current.asterisk
        if controller:
            say(
                f"controller: ARI app '{asterisk.app}' on http://{asterisk.host}:{asterisk.http_port}"
            )
            say(
                f"calls: SIP trunk {asterisk.bind_address}:{asterisk.sip_port}/udp "
                f"from {', '.join(asterisk.trunk_peers)}"
            )
        if web:
            say(
                f"web: http://{current.web.host}:{current.web.port} (API token in "
                f"{current.state_dir / 'secrets.json'})"
            )
        # SIGTERM (systemd, kill) shuts down like Ctrl-C: uvicorn hands the signal back
        # once it has stopped, and the Asterisk this command started is stopped too.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            asyncio.run(_run(current, controller=controller, web=web))
        except KeyboardInterrupt:
            pass
        finally:
            if instance is not None and started_here:
                say("stopping the Asterisk instance started by this command")
                instance.stop()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


async def _run(current: Settings, *, controller: bool, web: bool) -> None:
    from switchboard.system import System  # the whole system: imported only to run it

    async with System(current) as system:
        await system.serve(controller=controller, web=web)


__all__ = ["app", "fail"]
