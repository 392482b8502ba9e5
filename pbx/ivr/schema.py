"""The JSON Schema of flow files, for editors (`ivr_flows/flow.schema.json`).

Regenerate the committed file with
`switchboard flows schema --output ivr_flows/flow.schema.json`.
"""

from __future__ import annotations

import json
from typing import Any

from .models import Flow

SCHEMA_ID = "https://switchboard.invalid/schemas/ivr-flow.json"


def flow_json_schema() -> dict[str, Any]:
    schema = Flow.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema exactly as committed: sorted keys, 2-space indent, final newline."""
    return json.dumps(flow_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
