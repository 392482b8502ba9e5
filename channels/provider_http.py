"""Sending through a provider's HTTP API, the same way for every adapter: a network
failure is a ``SendError`` to retry, and an error answer becomes one whose ``permanent``
follows HTTP (a 4xx other than 429 will not succeed by trying again) unless the provider
says otherwise."""

from __future__ import annotations

from typing import Any

import httpx

from channels.adapter import SendError

DETAIL_CHARS = 300


async def post(client: httpx.AsyncClient, url: str, **request: Any) -> httpx.Response:
    try:
        return await client.post(url, **request)
    except httpx.HTTPError as exc:
        raise SendError(f"{exc.__class__.__name__}: {exc}") from exc


def refused(
    response: httpx.Response, detail: str = "", *, permanent: bool | None = None
) -> SendError:
    """The error answer as a ``SendError`` (``detail``: the provider's own words)."""
    code = response.status_code
    if permanent is None:
        permanent = 400 <= code < 500 and code != 429
    return SendError(f"HTTP {code}: {detail or response.text[:DETAIL_CHARS]}", permanent=permanent)
