"""The local provider server of ``providers.py`` grown with what the messaging apps add:
Viber's ``/pa/send_message``, Messenger's Send API, WhatsApp's media ids and uploads,
Telegram's ``getFile``, file server, ``sendPhoto`` and ``sendDocument``, and plain file
URLs (Viber, Messenger), as documented. Like the real ones, Viber and Messenger fetch a
picture or file they are asked to send from its URL (the desk's signed link) at once."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from channels.service import Channels, build_channels
from channels.settings import (
    ChannelSettings,
    MessengerSettings,
    TelegramSettings,
    ViberSettings,
    WhatsAppSettings,
)
from tests.channels.providers import (
    BOT_TOKEN,
    PHONE_NUMBER_ID,
    WHATSAPP_TOKEN,
    Provider,
    provider_app,
    serving,
)
from tests.ticketing.conftest import Desk
from web.app import create_app

VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"
PAGE_TOKEN = "messenger-page-access-token"
MESSENGER_SECRET = "messenger-app-secret"
WHATSAPP_SECRET = "whatsapp-app-secret"
TELEGRAM_SECRET = "telegram-secret-token"
DESK_URL = "https://desk.example"
LINK_SECRET = "link-signing-secret-for-tests"
PNG = b"\x89PNG\r\n\x1a\n" + b"picture" * 10
PDF = b"%PDF-1.4\n" + b"document" * 10


@dataclasses.dataclass
class Files:
    """Files the provider hands out, by name: (bytes, content type); files the desk
    uploaded (WhatsApp media ids: (bytes, content type, file name)); what the provider
    fetched from the desk's links ((url, HTTP status, bytes)) through ``desk``."""

    by_name: dict[str, tuple[bytes, str]] = dataclasses.field(default_factory=dict)
    downloads: list[str] = dataclasses.field(default_factory=list)
    uploads: dict[str, tuple[bytes, str, str]] = dataclasses.field(default_factory=dict)
    fetched: list[tuple[str, int, bytes]] = dataclasses.field(default_factory=list)
    desk: httpx.AsyncClient | None = None  # how the provider reaches the desk's links

    async def fetch(self, url: str) -> int:
        """Fetch a file the desk linked to, as the provider does before sending it."""
        assert self.desk is not None
        if url.startswith(str(self.desk.base_url)):
            got = await self.desk.get(url)
        else:  # a file somewhere else on the network
            async with httpx.AsyncClient() as network:
                got = await network.get(url)
        self.fetched.append((url, got.status_code, got.content))
        return got.status_code


def apps_provider(state: Provider, files: Files) -> FastAPI:
    app = provider_app(state)

    @app.post("/pa/send_message")
    async def viber_send(request: Request) -> JSONResponse:
        if request.headers.get("X-Viber-Auth-Token") != VIBER_TOKEN:
            return JSONResponse({"status": 2, "status_message": "invalidAuthToken"})
        payload = await request.json()
        if state.refuse:
            return JSONResponse({"status": 6, "status_message": "notSubscribed"})
        if (
            payload.get("type") in ("picture", "file")
            and await files.fetch(payload["media"]) != 200
        ):
            return JSONResponse({"status": 3, "status_message": "badData: media not found"})
        token = str(5741311803571721087 + len(state.sent))
        state.sent.append({**payload, "message_token": token})
        return JSONResponse({"status": 0, "status_message": "ok", "message_token": int(token)})

    @app.post("/v20.0/me/messages")
    async def messenger_send(request: Request) -> JSONResponse:
        if request.query_params.get("access_token") != PAGE_TOKEN:
            error = {"message": "Invalid OAuth access token.", "type": "OAuthException"}
            return JSONResponse({"error": {**error, "code": 190}}, 400)
        payload = await request.json()
        attachment = payload["message"].get("attachment")
        if attachment is not None and await files.fetch(attachment["payload"]["url"]) != 200:
            error = {"message": "Failed to fetch the file from the url", "type": "OAuthException"}
            return JSONResponse({"error": {**error, "code": 100}}, 400)
        mid = "m_" + uuid.uuid4().hex
        state.sent.append({**payload, "message_id": mid})
        return JSONResponse({"recipient_id": payload["recipient"]["id"], "message_id": mid})

    @app.get("/v19.0/{media_id}")
    async def whatsapp_media_url(media_id: str, request: Request) -> JSONResponse:
        if request.headers.get("Authorization") != f"Bearer {WHATSAPP_TOKEN}":
            return JSONResponse({"error": {"message": "Invalid OAuth", "code": 190}}, 401)
        if media_id not in files.by_name:
            return JSONResponse({"error": {"message": "Unknown media", "code": 100}}, 404)
        data, content_type = files.by_name[media_id]
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{state.url}/whatsapp-cdn/{media_id}",
                "mime_type": content_type,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            }
        )

    @app.post("/v19.0/{phone_id}/media")
    async def whatsapp_upload(phone_id: str, request: Request) -> JSONResponse:
        if request.headers.get("Authorization") != f"Bearer {WHATSAPP_TOKEN}":
            return JSONResponse({"error": {"message": "Invalid OAuth", "code": 190}}, 401)
        form = await request.form()
        upload = form.get("file")
        if form.get("messaging_product") != "whatsapp" or not isinstance(upload, UploadFile):
            return JSONResponse({"error": {"message": "Invalid parameter", "code": 100}}, 400)
        media_id = str(4490709327384033 + len(files.uploads))
        data = await upload.read()
        files.uploads[media_id] = (data, str(form.get("type")), upload.filename or "")
        return JSONResponse({"id": media_id})

    @app.post("/bot{token}/sendPhoto")
    async def telegram_photo(token: str, request: Request) -> JSONResponse:
        return await telegram_upload(token, request, "photo")

    @app.post("/bot{token}/sendDocument")
    async def telegram_document(token: str, request: Request) -> JSONResponse:
        return await telegram_upload(token, request, "document")

    async def telegram_upload(token: str, request: Request, field: str) -> JSONResponse:
        if token != BOT_TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        form = await request.form()
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            description = f"Bad Request: there is no {field} in the request"
            return JSONResponse({"ok": False, "error_code": 400, "description": description}, 400)
        data = await upload.read()
        sent = {
            "method": "sendPhoto" if field == "photo" else "sendDocument",
            "chat_id": form.get("chat_id"),
            "caption": form.get("caption"),
            field: (upload.filename, data, upload.content_type),
        }
        state.sent.append(sent)
        result = {"message_id": len(state.sent), "chat": {"id": sent["chat_id"]}}
        return JSONResponse({"ok": True, "result": result})

    @app.get("/whatsapp-cdn/{media_id}")
    async def whatsapp_download(media_id: str, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {WHATSAPP_TOKEN}":
            return Response(status_code=401)
        return serve(media_id)

    @app.get("/bot{token}/getFile")
    async def telegram_get_file(token: str, file_id: str) -> JSONResponse:
        if token != BOT_TOKEN or file_id not in files.by_name:
            return JSONResponse({"ok": False, "description": "Bad Request: invalid file_id"}, 400)
        size = len(files.by_name[file_id][0])
        path = f"documents/{file_id}"
        result = {"file_id": file_id, "file_unique_id": file_id, "file_size": size}
        return JSONResponse({"ok": True, "result": {**result, "file_path": path}})

    @app.get("/file/bot{token}/documents/{name}")
    async def telegram_download(token: str, name: str) -> Response:
        return serve(name) if token == BOT_TOKEN else Response(status_code=401)

    @app.get("/files/{name}")
    async def plain_download(name: str) -> Response:
        return serve(name)

    def serve(name: str) -> Response:
        if name not in files.by_name:
            return Response(status_code=404)
        files.downloads.append(name)
        data, content_type = files.by_name[name]
        return Response(data, media_type=content_type)

    return app


@dataclasses.dataclass
class Apps:
    """The desk with every messaging app configured against the local provider."""

    desk: Desk
    channels: Channels
    provider: Provider
    files: Files
    web: httpx.AsyncClient
    app: FastAPI

    def client_as(self, other: httpx.AsyncClient) -> httpx.AsyncClient:
        """A client of this desk with another client's credentials."""
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=str(self.web.base_url),
            headers=dict(other.headers),
        )
        self.desk.clients.append(client)
        return client

    async def post(self, path: str, payload: dict[str, Any], headers: dict[str, str]) -> Any:
        return await self.web.post(
            path,
            content=json.dumps(payload).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )

    async def viber(self, payload: dict[str, Any], token: str = VIBER_TOKEN) -> httpx.Response:
        body = json.dumps(payload).encode()
        signature = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
        return await self.web.post(
            "/api/channels/viber",
            content=body,
            headers={"X-Viber-Content-Signature": signature, "Content-Type": "application/json"},
        )

    async def meta(self, path: str, payload: dict[str, Any], secret: str) -> httpx.Response:
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return await self.web.post(
            path,
            content=body,
            headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
        )

    async def reply(self, number: str, body: str, channel: str) -> None:
        made = await self.desk.system.post(
            f"/api/tickets/{number}/entries",
            json={"kind": "reply", "body": body, "channel": channel},
        )
        assert made.status_code == 201, made.text
        await self.channels.outbox.collect()
        await self.channels.outbox.send_due()

    async def entries(self, number: str) -> list[dict[str, Any]]:
        answer = await self.desk.system.get(f"/api/tickets/{number}/entries")
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    async def ticket(self, number: str) -> dict[str, Any]:
        answer = await self.desk.system.get(f"/api/tickets/{number}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


@asynccontextmanager
async def messaging_apps(desk: Desk) -> AsyncIterator[Apps]:
    state, files = Provider(), Files()
    async with serving(apps_provider(state, files)) as port:
        state.url = f"http://127.0.0.1:{port}"
        settings = ChannelSettings(
            whatsapp=WhatsAppSettings(
                enabled=True,
                api_base=state.url,
                phone_number_id=PHONE_NUMBER_ID,
                access_token=WHATSAPP_TOKEN,
                app_secret=WHATSAPP_SECRET,
                verify_token="verify-me",
                notice_template="works_notice",
            ),
            telegram=TelegramSettings(
                enabled=True,
                api_base=state.url,
                bot_token=BOT_TOKEN,
                webhook_secret=TELEGRAM_SECRET,
            ),
            viber=ViberSettings(
                enabled=True, api_base=state.url, auth_token=VIBER_TOKEN, sender_name="Desk"
            ),
            messenger=MessengerSettings(
                enabled=True,
                api_base=state.url,
                api_version="v20.0",
                page_access_token=PAGE_TOKEN,
                app_secret=MESSENGER_SECRET,
                verify_token="page-verify",
            ),
            public_base_url=DESK_URL,
        )
        channels = build_channels(
            settings,
            desk.db,
            desk.bus,
            desk.services.attachments.store,
            signing_key=LINK_SECRET,
        )
        app = create_app(dataclasses.replace(desk.app.state.context, channels=channels))
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=DESK_URL
            ) as web:
                files.desk = web
                yield Apps(desk, channels, state, files, web, app)
        finally:
            await channels.close()
