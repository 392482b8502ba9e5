"""``switchboard admin``: users, teams, categories, streets, tokens, rules, SLAs and data.

Every change is made as the principal ``cli (<os user>)`` and written to the audit log.
Generated passwords and tokens are printed once and never stored in plain text.
"""

from __future__ import annotations

import asyncio
import csv
import getpass
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from switchboard.bus import LocalBus
from switchboard.cli.common import clear_errors, fail, ready_database, say, settings
from switchboard.db import Database
from switchboard.secrets import load_or_create_secrets
from ticketing.access.roles import Principal, Role
from ticketing.catalog.importer import parse_categories
from ticketing.contact_import import ContactRow, parse_contacts_csv
from ticketing.errors import TicketingError
from ticketing.models import TicketStatus
from ticketing.streets import StreetRow, parse_streets_csv

app = typer.Typer(
    help="Administer users, teams, categories, tokens and rules.", no_args_is_help=True
)
users_app = typer.Typer(help="People who sign in, and their roles.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams that tickets are handed to.", no_args_is_help=True)
categories_app = typer.Typer(
    help="The category tree (type / problem / cause).", no_args_is_help=True
)
tokens_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)
rules_app = typer.Typer(help="Automation rules as YAML.", no_args_is_help=True)
streets_app = typer.Typer(
    help="The street registry that addresses are completed from.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(teams_app, name="teams")
app.add_typer(categories_app, name="categories")
app.add_typer(tokens_app, name="tokens")
app.add_typer(rules_app, name="rules")
sla_app = typer.Typer(help="Business calendars and SLA policies as YAML.", no_args_is_help=True)
app.add_typer(streets_app, name="streets")
app.add_typer(sla_app, name="sla")
contacts_app = typer.Typer(help="Contacts: import from a CRM's CSV.", no_args_is_help=True)
tickets_app = typer.Typer(help="Tickets: export any filtered list.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")
app.add_typer(tickets_app, name="tickets")

if TYPE_CHECKING:
    from ticketing.services import Ticketing

T = TypeVar("T")


def _actor() -> Principal:
    return Principal(user_id=None, name=f"cli ({getpass.getuser()})", role=Role.ADMIN)


def _run(work: Callable[[Ticketing, Principal], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database; known failures end with a message."""
    current = settings()

    async def main() -> T:
        db = Database(current.effective_database_url)
        try:
            await ready_database(db)
            from ticketing.services import configured_ticketing  # heavy: only when used

            services = configured_ticketing(
                current, load_or_create_secrets(current.state_dir), db, LocalBus()
            )
            try:
                return await work(services, _actor())
            finally:
                await services.webhook_sender.close()
        finally:
            await db.close()

    with clear_errors():
        try:
            return asyncio.run(main())
        except TicketingError as exc:
            fail(exc.message)
    raise AssertionError("unreachable")


# -- users -------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    email: str,
    role: Role = typer.Option(..., "--role", help="admin, supervisor, agent, partner, customer"),
    name: str = typer.Option("", "--name"),
    organisation: int | None = typer.Option(
        None, "--organisation", help="Organisation contact id (partners)"
    ),
) -> None:
    """Add a user; the generated password is printed once."""

    async def work(s: Ticketing, actor: Principal) -> None:
        user, password = await s.users.create(
            actor, email=email, name=name, role=role, organisation_id=organisation
        )
        say(f"user {user.id} {user.email} ({user.role.value}) created")
        say(f"password (shown once): {password}")

    _run(work)


@users_app.command("list")
def users_list() -> None:
    """Every user: id, email, role, active."""

    async def work(s: Ticketing, _actor: Principal) -> None:
        after = None
        while batch := await s.users.list(limit=500, after_id=after):
            for u in batch:
                state = "active" if u.active else "disabled"
                say(f"{u.id}\t{u.email}\t{u.role.value}\t{state}\t{u.name}")
            after = batch[-1].id

    _run(work)


@users_app.command("set-role")
def users_set_role(email: str, role: Role, organisation: int | None = typer.Option(None)) -> None:
    """Change a user's role (their web sessions end)."""

    async def work(s: Ticketing, actor: Principal) -> None:
        user = await s.users.by_email(email)
        assert user.id is not None
        extra = {"organisation_id": organisation} if organisation is not None else {}
        user = await s.users.update(actor, user.id, role=role, **extra)
        say(f"{user.email} is now {user.role.value}")

    _run(work)


@users_app.command("disable")
def users_disable(email: str) -> None:
    """Disable a user: sessions and tokens stop working at once."""

    async def work(s: Ticketing, actor: Principal) -> None:
        user = await s.users.by_email(email)
        assert user.id is not None
        await s.users.update(actor, user.id, active=False)
        say(f"{user.email} is disabled")

    _run(work)


@users_app.command("reset-password")
def users_reset_password(email: str) -> None:
    """Generate a new password (printed once); the user's sessions end."""

    async def work(s: Ticketing, actor: Principal) -> None:
        user = await s.users.by_email(email)
        assert user.id is not None
        password = await s.users.set_password(actor, user.id, None)
        say(f"new password for {user.email} (shown once): {password}")

    _run(work)


# -- teams -------------------------------------------------------------------------------


@teams_app.command("add")
def teams_add(
    name: str,
    member: list[str] = typer.Option([], "--member", help="Email of a member (repeatable)"),
    description: str = typer.Option("", "--description"),
) -> None:
    """Add a team, optionally with members."""

    async def work(s: Ticketing, actor: Principal) -> None:
        ids = [(await s.users.by_email(m)).id for m in member]
        detail = await s.catalog.create_team(actor, name, description, [i for i in ids if i])
        members = len(detail.member_ids)
        say(f"team {detail.team.id} {detail.team.name} created with {members} members")

    _run(work)


@teams_app.command("list")
def teams_list() -> None:
    async def work(s: Ticketing, _actor: Principal) -> None:
        for t in await s.catalog.teams():
            say(f"{t.team.id}\t{t.team.name}\t{len(t.member_ids)} members")

    _run(work)


# -- categories --------------------------------------------------------------------------


@categories_app.command("import")
def categories_import(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Create or rename categories from YAML (nested) or CSV (path,name); idempotent."""
    rows = []
    with clear_errors():
        try:
            rows = parse_categories(file.read_text(encoding="utf-8"), file.name)
        except TicketingError as exc:
            fail(exc.message)

    async def work(s: Ticketing, actor: Principal) -> None:
        created, renamed = await s.catalog.import_categories(actor, rows)
        say(f"{created} categories created, {renamed} renamed, {len(rows)} in {file.name}")

    _run(work)


@categories_app.command("list")
def categories_list() -> None:
    """The tree by path: codes as reports use them, names as people read them."""

    async def work(s: Ticketing, _actor: Principal) -> None:
        for view in await s.catalog.categories(include_inactive=True):
            state = "" if view.category.active else "\t(inactive)"
            say(f"{view.category.path}\t{' › '.join(view.names)}{state}")

    _run(work)


# -- tokens ------------------------------------------------------------------------------


@tokens_app.command("add")
def tokens_add(email: str, name: str = typer.Option(..., "--name")) -> None:
    """Create a token acting as the user; it is printed once."""

    async def work(s: Ticketing, actor: Principal) -> None:
        user = await s.users.by_email(email)
        assert user.id is not None
        token, plain = await s.users.create_token(actor, user.id, name)
        say(f"token {token.id} '{token.name}' for {user.email}")
        say(f"token (shown once): {plain}")

    _run(work)


@tokens_app.command("list")
def tokens_list() -> None:
    async def work(s: Ticketing, _actor: Principal) -> None:
        for t in await s.users.list_tokens():
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
            say(f"{t.id}\tuser {t.user_id}\t{t.name}\t{t.prefix}…\t{state}")

    _run(work)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    async def work(s: Ticketing, actor: Principal) -> None:
        token = await s.users.revoke_token(actor, token_id)
        say(f"token {token.id} '{token.name}' revoked")

    _run(work)


# -- rules -------------------------------------------------------------------------------


@rules_app.command("export")
def rules_export() -> None:
    """Print every automation rule as YAML."""
    say(_run(lambda s, _actor: s.rules.export_yaml()).rstrip())


@rules_app.command("import")
def rules_import(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Create or replace (by name) the rules in a YAML file like the export."""
    text = file.read_text(encoding="utf-8")

    async def work(s: Ticketing, actor: Principal) -> None:
        saved = await s.rules.import_yaml(actor, text)
        say(f"{len(saved)} rules imported from {file.name}")

    _run(work)


# -- streets -----------------------------------------------------------------------------


@streets_app.command("import")
def streets_import(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Add the streets of a CSV file (street, postcode, city; header optional) that are
    not in the registry yet; any bad row stops the import and is reported by line."""
    rows: list[StreetRow] = []
    with clear_errors():
        try:
            rows = parse_streets_csv(_csv_rows(file))
        except TicketingError as exc:
            fail(f"{file.name}: {exc.message}")

    async def work(s: Ticketing, actor: Principal) -> None:
        added, known = await s.streets.import_rows(actor, rows)
        say(f"{added} streets added, {known} already there, {len(rows)} in {file.name}")

    _run(work)


# -- service levels ----------------------------------------------------------------------


@sla_app.command("export")
def sla_export() -> None:
    """Print every business calendar and SLA policy as YAML (the import's format)."""
    from ticketing.sla.document import SlaDocuments

    say(_run(lambda s, _actor: SlaDocuments(s.sla).export_yaml()).rstrip())


@sla_app.command("import")
def sla_import(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Create or replace (by name) the calendars and policies of a YAML file; every item
    and reference is checked before anything changes. Open tickets' deadlines follow."""
    from ticketing.sla.document import SlaDocuments

    text = file.read_text(encoding="utf-8")

    async def work(s: Ticketing, actor: Principal) -> None:
        calendars, policies = await SlaDocuments(s.sla).import_yaml(actor, text)
        say(f"{calendars} calendars and {policies} policies imported from {file.name}")

    _run(work)


@sla_app.command("list")
def sla_list() -> None:
    """Policies: id, name, calendar, targets in business minutes, what they apply to."""

    async def work(s: Ticketing, _actor: Principal) -> None:
        calendars = {c.calendar.id: c.calendar.name for c in await s.sla.calendars()}
        paths = {
            v.category.id: v.category.path
            for v in await s.catalog.categories(include_inactive=True)
        }
        for p in await s.sla.policies():
            scope = [
                f"category {paths.get(p.category_id)}" if p.category_id else "",
                f"priority {p.priority.value}" if p.priority else "",
                f"organisation {p.organisation_id}" if p.organisation_id else "",
            ]
            applies = ", ".join(x for x in scope if x) or "every ticket"
            first = p.first_response_minutes or "-"
            state = "" if p.active else "\t(inactive)"
            say(
                f"{p.id}\t{p.name}\t{calendars.get(p.calendar_id, p.calendar_id)}\t"
                f"first response {first}, resolution {p.resolution_minutes}\t{applies}{state}"
            )

    _run(work)


# -- data: contacts in, tickets out ------------------------------------------------------


def _csv_rows(file: Path) -> list[list[str]]:
    """The rows of a UTF-8 CSV file (a BOM is fine); a file that is not ends the command."""
    with clear_errors():
        try:
            with file.open(encoding="utf-8-sig", newline="") as handle:
                return list(csv.reader(handle))
        except UnicodeDecodeError as exc:
            fail(f"{file.name} is not UTF-8 text: {exc.reason} at byte {exc.start}")
        except csv.Error as exc:
            fail(f"{file.name}: {exc}")
    raise AssertionError("unreachable")


@contacts_app.command("import")
def contacts_import(file: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Create the contacts of a CSV file with a header naming its columns: name, kind,
    organisation, phone, email, street, postcode, city. All rows or none are imported;
    a phone or email that already belongs to someone stops the import (merge instead)."""
    rows: list[ContactRow] = []
    with clear_errors():
        try:
            rows = parse_contacts_csv(_csv_rows(file))
        except TicketingError as exc:
            fail(f"{file.name}: {exc.message}")

    async def work(s: Ticketing, actor: Principal) -> None:
        created = await s.contacts.import_rows(actor, rows)
        say(f"{created} contacts imported from {file.name}")

    _run(work)


@tickets_app.command("export")
def tickets_export(
    out: Path = typer.Argument(..., dir_okay=False, help="FILE.csv or FILE.xlsx"),
    status: list[TicketStatus] = typer.Option([], "--status", help="Repeatable"),
    team: int | None = typer.Option(None, "--team", help="Team id"),
    since: datetime | None = typer.Option(None, "--since", help="Created on or after"),
    until: datetime | None = typer.Option(None, "--until", help="Created before"),
    text: str | None = typer.Option(None, "--text", help="Full-text search"),
) -> None:
    """Write the tickets matching the filters (all by default) as CSV or XLSX, with
    category codes and custom fields, as the web export gives them."""
    from ticketing.search import TicketFilter

    if out.suffix.lower() not in (".csv", ".xlsx"):
        with clear_errors():
            fail(f"{out.name}: the file name must end in .csv or .xlsx")
    filters = TicketFilter(
        q=text,
        status=tuple(status),
        team_id=team,
        created_from=_aware(since),
        created_to=_aware(until),
    )

    async def work(s: Ticketing, actor: Principal) -> bytes:
        writer = s.export.xlsx if out.suffix.lower() == ".xlsx" else s.export.csv
        return await writer(actor, filters)

    content = _run(work)
    with clear_errors():
        try:
            out.write_bytes(content)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}")
    say(f"tickets written to {out} ({len(content)} bytes)")


def _aware(moment: datetime | None) -> datetime | None:
    """A date or time given without a zone is taken in the machine's local time."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.astimezone()
