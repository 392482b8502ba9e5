"""`switchboard flows ...` as a supervisor uses it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from switchboard.cli.flows import app

from .helpers import FLOWS_DIR, MINIMAL, write_files

runner = CliRunner()


def test_validate_sample_flows() -> None:
    result = runner.invoke(app, ["validate", "--dir", str(FLOWS_DIR)])
    assert result.exit_code == 0, result.output
    assert result.output == "OK: 2 flows\n"


def test_validate_prints_every_error_with_its_position(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "main.yaml": MINIMAL.replace('"1": billing', '"1": billin'),
            "routes.yaml": "default: mian\n",
        },
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [
        f"{tmp_path / 'main.yaml'}:9:12: node 'menu' option '1' points to unknown node "
        "'billin' (did you mean 'billing'?)",
        f"{tmp_path / 'main.yaml'}:11:3: node 'billing' can never be reached from start node "
        "'menu'",
        f"{tmp_path / 'routes.yaml'}:1:10: route 'default' points to unknown flow 'mian' "
        "(did you mean 'main'?)",
    ]


def test_validate_single_file(tmp_path: Path) -> None:
    path = write_files(tmp_path, {"main.yaml": MINIMAL}) / "main.yaml"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.output == "OK: 1 flows\n"


def test_simulate_out_of_hours_call() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "0800123456",
            "--caller",
            "+358401234567",
            "--digits",
            "1,2",
            "--at",
            "2026-12-24 20:00",
            "--dir",
            str(FLOWS_DIR),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "[hear] (fi) Tervetuloa Revontuli Energian asiakaspalveluun." in lines
    assert "[voicemail] 12 s saved to mailbox customer-service" in lines
    assert lines[-1] == "-> voicemail (mailbox customer-service)"


def test_simulate_billing_in_swedish_with_variables() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "utility_main",
            "--digits",
            "2,1",
            "--at",
            "2026-12-22 10:00",
            "--dir",
            str(FLOWS_DIR),
            "--http",
            'https://crm.revontuli.example/={"customer": {"id": "C1", "priority": 8}}',
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "[hear] (sv) För frågor om fakturering, tryck 1. För elavbrott och störningar, "
        "tryck 2. För frågor om flytt, tryck 3. För övriga ärenden, tryck 0." in lines
    )
    assert lines[-1] == "-> queue billing (priority 8) with skills billing, lang_sv"


def test_simulate_rejects_bad_input(tmp_path: Path) -> None:
    write_files(tmp_path, {"main.yaml": MINIMAL, "routes.yaml": "_1XX: main\n"})
    unknown = runner.invoke(app, ["simulate", "999", "--dir", str(tmp_path)])
    assert unknown.exit_code == 2
    assert "'999' is neither a flow nor a routed number" in unknown.output
    bad_time = runner.invoke(app, ["simulate", "100", "--at", "christmas", "--dir", str(tmp_path)])
    assert bad_time.exit_code == 2
    assert "is not a time like" in bad_time.output
    routed = runner.invoke(app, ["simulate", "100", "--digits", "1", "--dir", str(tmp_path)])
    assert routed.output.splitlines()[-1] == "-> queue billing (priority 0)"


def test_schema_command(tmp_path: Path) -> None:
    printed = runner.invoke(app, ["schema"])
    assert json.loads(printed.output)["title"] == "Switchboard IVR flow"
    out = tmp_path / "flow.schema.json"
    runner.invoke(app, ["schema", "--output", str(out)])
    assert out.read_text(encoding="utf-8") == printed.output
