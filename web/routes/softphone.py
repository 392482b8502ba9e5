"""The agents' browser softphone: a public static page (it holds no data; the agent signs
in to Asterisk with their extension and SIP password) and its scripts."""

from __future__ import annotations

import html
import ipaddress
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, HTMLResponse

from switchboard.settings import AsteriskSettings, load_settings
from ticketing.errors import NotFound

router = APIRouter(tags=["softphone"])
STATIC = FilePath(__file__).resolve().parent.parent / "static" / "softphone"
ASSETS = {
    "softphone.js": STATIC / "softphone.js",
    "sip.min.js": STATIC / "vendor" / "sip.min.js",
}


def asterisk_settings() -> AsteriskSettings:
    return load_settings().asterisk


AsteriskConfig = Annotated[AsteriskSettings, Depends(asterisk_settings)]


def websocket_url(settings: AsteriskSettings, page_host: str) -> str:
    """Where browsers reach Asterisk's SIP WebSocket: wss on the TLS port when there is
    one, else ws on the HTTP port; at the bind address, or the page's own host when
    Asterisk listens on every address."""
    host = settings.bind_address
    try:
        if ipaddress.ip_address(host).is_unspecified:
            host = page_host
    except ValueError:
        pass
    if ":" in host:
        host = f"[{host}]"
    if settings.wss_port is not None:
        return f"wss://{host}:{settings.wss_port}/ws"
    return f"ws://{host}:{settings.http_port}/ws"


@router.get("/softphone", response_class=HTMLResponse)
async def softphone(request: Request, settings: AsteriskConfig) -> HTMLResponse:
    """The softphone page: sign in with the extension and SIP password, answer calls."""
    page = (STATIC / "index.html").read_text()
    url = websocket_url(settings, request.url.hostname or "127.0.0.1")
    return HTMLResponse(page.replace("{{websocket}}", html.escape(url)))


@router.get("/softphone/assets/{name}", response_class=FileResponse)
async def softphone_asset(name: Annotated[str, Path(max_length=40)]) -> FileResponse:
    """The page's scripts: its own and the SIP.js library it uses."""
    asset = ASSETS.get(name)
    if asset is None:
        raise NotFound(f"no softphone file is named {name!r}")
    return FileResponse(asset, media_type="text/javascript")
