"""`switchboard flows`: validate IVR flow files, simulate calls, print the JSON Schema."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pbx.ivr.fields import LANGUAGES
from pbx.ivr.memory import MemoryServices
from pbx.ivr.path import OutcomeKind
from pbx.ivr.port import Outage
from pbx.ivr.registry import build_flowset
from pbx.ivr.schema import schema_text
from pbx.ivr.simulate import parse_keys, simulate
from pbx.ivr.validate import (
    ROUTES_FILE,
    FlowError,
    Resources,
    flow_files,
    read_sources,
    validate_dir,
    validate_file,
)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "ivr_flows"

app = typer.Typer(help="IVR flows: validate, simulate, schema.", no_args_is_help=True)

DirOption = Annotated[Path, typer.Option("--dir", help="Directory of flow files and routes.yaml.")]
SoundsOption = Annotated[
    list[Path] | None,
    typer.Option("--sounds-dir", help="Where `sound:` names must exist (repeatable)."),
]
UploadsOption = Annotated[
    Path | None, typer.Option("--uploads-dir", help="Where `file:` names must exist.")
]


def _shown(error: FlowError) -> str:
    path = Path(error.file)
    with contextlib.suppress(ValueError):
        path = path.resolve().relative_to(Path.cwd())
    return f"{path}:{error.line}:{error.column}: {error.message}"


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Flow files or directories (default: --dir).")
    ] = None,
    directory: DirOption = DEFAULT_DIR,
    sounds_dir: SoundsOption = None,
    uploads_dir: UploadsOption = None,
) -> None:
    """Check flow files; print every problem as file:line:col: message."""
    errors: list[FlowError] = []
    flows = 0
    for path in paths or [directory]:
        if path.is_dir():
            errors += validate_dir(path, sound_dirs=sounds_dir or [], uploads_dir=uploads_dir)
            flows += len(flow_files(path))
        elif path.is_file():
            errors += validate_file(path, sound_dirs=sounds_dir or [], uploads_dir=uploads_dir)
            flows += path.name != ROUTES_FILE
        else:
            errors.append(FlowError(str(path), 1, 1, "no such file or directory"))
    for error in errors:
        typer.echo(_shown(error))
    if errors:
        raise typer.Exit(1)
    typer.echo(f"OK: {flows} flows")


def _pairs(values: list[str] | None, what: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{value!r} is not {what}")
        pairs.append((key.strip(), rest))
    return pairs


def _moment(at: str | None) -> datetime | None:
    if at is None:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(at, fmt)
        except ValueError:
            continue
    raise typer.BadParameter(f"{at!r} is not a time like '2026-12-24 20:00'", param_hint="--at")


@app.command(name="simulate")
def simulate_command(
    target: Annotated[
        str, typer.Argument(metavar="FLOW_OR_NUMBER", help="A flow name or a dialled number.")
    ],
    caller: Annotated[str, typer.Option(help="The caller's number.")] = "+358401234567",
    digits: Annotated[
        str, typer.Option(help="Keys, one entry per question: '1,2,00100#'; '-' stays silent.")
    ] = "",
    at: Annotated[
        str | None,
        typer.Option(help="Time of the call, 'YYYY-MM-DD HH:MM' in the flow's time zone."),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Starting language (en, fi, sv, uk).")] = None,
    var: Annotated[list[str] | None, typer.Option(help="Starting variable k=v.")] = None,
    speech: Annotated[str, typer.Option(help="What the caller says: 'billing,yes'.")] = "",
    outage: Annotated[
        list[str] | None, typer.Option(help="A known outage: POSTCODE=TEXT (repeatable).")
    ] = None,
    http: Annotated[
        list[str] | None,
        typer.Option(help="Answer http_lookup URLs starting with PREFIX: PREFIX=JSON."),
    ] = None,
    overflow: Annotated[
        list[str] | None, typer.Option(help="Queues that are full (repeatable).")
    ] = None,
    directory: DirOption = DEFAULT_DIR,
) -> None:
    """Show what a caller would hear and where they would end up."""
    if lang is not None and lang not in LANGUAGES:
        raise typer.BadParameter(f"use one of {', '.join(LANGUAGES)}", param_hint="--lang")
    flowset, errors = build_flowset(read_sources(directory), resources=Resources())
    if flowset is None:
        for error in errors:
            typer.echo(_shown(error))
        raise typer.Exit(1)
    outages: dict[str, list[Outage]] = {}
    for area, text in _pairs(outage, "POSTCODE=TEXT"):
        outages.setdefault(area, []).append(
            Outage("outage", {"en": text, "fi": text, "sv": text, "uk": text}, area)
        )
    try:
        answers = {prefix: json.loads(body) for prefix, body in _pairs(http, "PREFIX=JSON")}
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--http") from exc
    services = MemoryServices.with_log(typer.echo, http=answers, outages=outages)
    try:
        result = asyncio.run(
            simulate(
                flowset,
                target,
                caller=caller,
                keys=parse_keys(digits),
                speech=parse_keys(speech),
                at=_moment(at),
                language=lang,
                variables=dict(_pairs(var, "k=v")),
                services=services,
                overflow=overflow or [],
                out=typer.echo,
            )
        ).result
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if result.outcome.kind is OutcomeKind.ERROR:
        raise typer.Exit(1)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
) -> None:
    """Print the JSON Schema of flow files (for editors)."""
    if output is None:
        typer.echo(schema_text(), nl=False)
    else:
        output.write_text(schema_text(), encoding="utf-8")
        typer.echo(f"wrote {output}")
