"""Searching page by page: matches in tickets and matches in threads interleave in one
order, every page follows the sort and the filters, and a partner's search stays within
their organisation's tickets."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ticketing.conftest import Desk
from ticketing.access.roles import SYSTEM
from ticketing.search import TicketFilter, TicketSearch


async def _pages(client: httpx.AsyncClient, **params: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = await client.get("/api/tickets", params=query)
        assert page.status_code == 200, page.text
        pages.append([t["number"] for t in page.json()["items"]])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_matches_in_tickets_and_threads_page_together_in_order(desk: Desk) -> None:
    roads = await desk.organisation("Roads Ltd")
    _, partner = await desk.user("partner", organisation_id=roads["id"])
    made = []
    for i in range(9):
        in_subject = i % 3 == 0
        ticket = await desk.ticket(
            subject="Culvert blocked" if in_subject else f"Ticket {i}",
            priority="urgent" if i % 2 else "low",
            organisation_id=roads["id"] if i % 4 == 0 else None,
        )
        if not in_subject and i % 3 == 1:
            entry = await desk.system.post(
                f"/api/tickets/{ticket['number']}/entries",
                json={"kind": "email", "direction": "inbound", "body": "the culvert again"},
            )
            assert entry.status_code == 201
        made.append(ticket)
    matching = [t for i, t in enumerate(made) if i % 3 in (0, 1)]
    newest_first = [t["number"] for t in reversed(matching)]

    pages = await _pages(desk.system, q="culvert", limit=2)
    assert [n for page in pages for n in page] == newest_first
    assert [len(page) for page in pages] == [2, 2, 2]

    urgent = [t["number"] for t in reversed(matching) if t["priority"] == "urgent"]
    low = [t["number"] for t in reversed(matching) if t["priority"] == "low"]
    by_priority = await _pages(desk.system, q="culvert", sort="-priority", limit=4)
    assert [n for page in by_priority for n in page] == urgent + low
    oldest = await _pages(desk.system, q="culvert", sort="created", priority="urgent", limit=1)
    assert [n for page in oldest for n in page] == list(reversed(urgent))

    theirs = [t["number"] for t in reversed(matching) if t["organisation_id"] == roads["id"]]
    assert theirs  # the partner has matches, and sees only those
    seen = await _pages(partner, q="culvert", limit=1)
    assert [n for page in seen for n in page] == theirs


async def test_a_newest_first_search_looked_for_in_id_windows_finds_the_same_pages(
    desk: Desk,
) -> None:
    """On PostgreSQL the newest tickets are searched first, in windows of ids widened
    until a page is full (at 1M tickets windows are 10,000 and 100,000 ids; here 2 and 4
    over a dozen tickets); the pages are those a search of every ticket gives."""
    matching: list[str] = []
    for i in range(12):
        ticket = await desk.ticket(subject="Culvert blocked" if i in (0, 1, 7) else f"T {i}")
        if i in (0, 1, 3, 7, 10):
            matching.insert(0, ticket["number"])  # newest first
        if i in (3, 10):
            made = await desk.system.post(
                f"/api/tickets/{ticket['number']}/entries",
                json={"kind": "email", "direction": "inbound", "body": "the culvert again"},
            )
            assert made.status_code == 201

    async def pages(search: TicketSearch, limit: int) -> list[list[str]]:
        found, cursor = [], None
        while True:
            rows, cursor = await search.page(
                SYSTEM, TicketFilter(q="culvert"), limit=limit, cursor=cursor
            )
            found.append([t.number for t in rows])
            if cursor is None:
                return found

    for limit in (1, 2):  # pages filled in the first window, and pages that widen to all
        everywhere = await pages(TicketSearch(desk.db, windows=()), limit)
        assert [n for page in everywhere for n in page] == matching
        assert await pages(TicketSearch(desk.db, windows=(2, 4)), limit) == everywhere
