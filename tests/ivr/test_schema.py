"""The committed JSON Schema matches the models and accepts the sample flows."""

from __future__ import annotations

import json

import jsonschema
import pytest

from pbx.ivr.schema import flow_json_schema, schema_text
from pbx.ivr.validate import flow_files
from switchboard.yaml_loader import load_yaml

from .helpers import FLOWS_DIR

SCHEMA_FILE = FLOWS_DIR / "flow.schema.json"


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "ivr_flows/flow.schema.json is stale: run "
        "`switchboard flows schema --output ivr_flows/flow.schema.json`"
    )


def test_schema_knows_every_node_type() -> None:
    schema = flow_json_schema()
    [node] = schema["properties"]["nodes"]["patternProperties"].values()
    mapping = node["discriminator"]["mapping"]
    assert set(mapping) >= {
        "play",
        "menu",
        "collect",
        "branch",
        "hours",
        "language",
        "http_lookup",
        "set",
        "queue",
        "voicemail",
        "callback",
        "transfer",
        "survey",
        "ticket",
        "outages",
        "speech",
        "goto_flow",
        "hangup",
    }


@pytest.mark.parametrize("path", flow_files(FLOWS_DIR), ids=lambda p: p.name)
def test_sample_flows_match_the_schema(path: object) -> None:
    data = load_yaml(path.read_text(encoding="utf-8")).data  # type: ignore[attr-defined]
    jsonschema.validate(json.loads(json.dumps(data)), flow_json_schema())
