"""IVR nodes that reach outside the call, on real calls: a lookup in the customer system
(a local HTTP server), a branch on its answer, and a callback request kept for agents."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.harness import Deployment, Sipp, running, wait_until
from tests.scenarios import Caller

pytestmark = pytest.mark.usefixtures("no_channels_left")

FLOW = """name: crm
language: en
start: lookup
nodes:
  lookup:
    type: http_lookup
    url: "{crm}/customers/{caller}"
    outputs: {tier: customer.tier, customer_id: customer.id}
    timeout_seconds: 2
    next: by_tier
    fallback: bye
  by_tier:
    type: branch
    conditions:
      - {var: tier, equals: gold, goto: offer_callback}
    else: bye
  offer_callback:
    type: callback
    queue: priority
    timeout_seconds: 4
    next: bye
  bye:
    type: hangup
"""


class Crm(BaseHTTPRequestHandler):
    """The customer system: knows one gold customer by phone number."""

    def do_GET(self) -> None:
        known = self.path == "/customers/%2B358403330001"
        body = {"customer": {"id": "C-1001", "tier": "gold"}} if known else {"error": "unknown"}
        data = json.dumps(body).encode()
        self.send_response(200 if known else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def crm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Crm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_gold_customer_found_in_the_crm_books_a_callback(
    deployment: Deployment, sipp: Sipp, tmp_path: Path, crm: str
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "routes.yaml").write_text("default: crm\n")
    (flows / "crm.yaml").write_text(FLOW.replace("{crm}", crm))
    env = {"SWITCHBOARD_CALLS__HANDLER": "flows", "SWITCHBOARD_IVR__FLOWS_DIR": str(flows)}
    with running(deployment, **env), deployment.api() as api:
        gold = Caller(tmp_path).wait(1.5).press("1").await_hangup(tmp_path / "g.xml", timeout=30)
        plain = Caller(tmp_path).await_hangup(tmp_path / "p.xml", timeout=30)
        for scenario, number in ((gold, "+358403330001"), (plain, "+358403330002")):
            result = sipp.run(str(scenario), callers=[(number, "C")], dialled="900", calls=1)
            assert result.returncode == 0, result.stdout[-2000:]

        def ended(number: str) -> dict | None:
            items = api.get("/api/calls", params={"limit": 100}).json()["items"]
            return next((c for c in items if c["caller_number"] == number and c["ended_at"]), None)

        gold_call = wait_until(lambda: ended("+358403330001"), timeout=10, what="gold call")
        plain_call = wait_until(lambda: ended("+358403330002"), timeout=10, what="plain call")
        callbacks = api.get("/api/callbacks").json()

    nodes = [(s["node"], s["outcome"]) for s in gold_call["path"] if s["action"] == "node"]
    assert nodes[0] == ("lookup", "looked up tier=gold, customer_id=C-1001")
    assert [n for n, _ in nodes] == ["lookup", "by_tier", "offer_callback", "bye"]
    assert gold_call["outcome"] == "callback"
    assert [(c["call_id"], c["number"], c["queue"], c["status"]) for c in callbacks] == [
        (gold_call["id"], "+358403330001", "priority", "pending")
    ]
    plain_nodes = [s for s in plain_call["path"] if s["action"] == "node"]
    assert plain_nodes[0]["outcome"] == "lookup failed"
    assert "404" in plain_nodes[0]["error"]
    assert [s["node"] for s in plain_nodes] == ["lookup", "bye"]
