"""Files on tickets: stored once by content, checked for name, type and size."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.ticketing.conftest import PNG_HEADER, Desk
from ticketing.attachments import safe_filename
from ticketing.errors import InvalidInput

PNG = PNG_HEADER + b"\x00" * 100


def _stored(desk: Desk) -> list[Path]:
    return [p for p in desk.services.attachments.store.root.rglob("*") if p.is_file()]


async def _upload(
    desk: Desk, number: str, name: str, data: bytes, client: httpx.AsyncClient | None = None
) -> httpx.Response:
    return await (client or desk.system).post(
        f"/api/tickets/{number}/attachments",
        files={"file": (name, data, "application/octet-stream")},
    )


async def test_a_file_is_stored_once_by_content_and_served_back(desk: Desk) -> None:
    first = await desk.ticket()
    second = await desk.ticket()
    one = await _upload(desk, first["number"], "kuva ä.png", PNG)
    assert one.status_code == 201, one.text
    two = await _upload(desk, second["number"], "same.png", PNG)
    assert one.json()["sha256"] == two.json()["sha256"]
    assert one.json()["content_type"] == "image/png" and one.json()["size"] == len(PNG)
    assert [p.name for p in _stored(desk)] == [one.json()["sha256"]]

    download = await desk.system.get(f"/api/attachments/{one.json()['id']}")
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in download.headers["content-disposition"]
    listed = (await desk.system.get(f"/api/tickets/{first['number']}")).json()["attachments"]
    assert [a["filename"] for a in listed] == ["kuva ä.png"]


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.txt", "..\\boot.pdf", "/abs/path.png", "sub/dir.png", ".hidden.png", ".."],
)
async def test_file_names_with_paths_are_refused(desk: Desk, name: str) -> None:
    ticket = await desk.ticket()
    refused = await _upload(desk, ticket["number"], name, PNG)
    assert refused.status_code == 422, refused.text
    assert (
        "unsafe file name" in refused.json()["detail"] or "needs a name" in refused.json()["detail"]
    )
    assert _stored(desk) == []


async def test_disallowed_oversized_or_disguised_files_are_refused(desk: Desk) -> None:
    ticket = await desk.ticket()
    exe = await _upload(desk, ticket["number"], "setup.exe", b"MZ" + b"\x00" * 10)
    assert exe.status_code == 422 and "files of type .exe are not accepted" in exe.json()["detail"]
    disguised = await _upload(desk, ticket["number"], "photo.png", b"MZ not a picture")
    assert disguised.status_code == 422
    assert disguised.json()["detail"] == "the file's content is not image/png"
    limit = desk.services.attachments.store.max_bytes
    big = await _upload(desk, ticket["number"], "big.txt", b"a" * (limit + 1))
    assert big.status_code == 413
    assert big.json()["detail"] == f"the file is larger than the limit of {limit} bytes"
    huge = await _upload(desk, ticket["number"], "huge.txt", b"a" * (limit + 200_000))
    assert huge.status_code == 413
    assert huge.json()["detail"].startswith("the request is larger than the limit of")
    assert _stored(desk) == []
    detail = (await desk.system.get(f"/api/tickets/{ticket['number']}")).json()
    assert detail["attachments"] == []


@pytest.mark.parametrize("name", ["a\x00b.png", "line\nbreak.txt", "tab\there.txt", "x" * 201])
def test_control_characters_and_overlong_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        safe_filename(name)


def test_plain_names_are_kept_as_given() -> None:
    assert safe_filename("  Lasku 2026 (1).pdf ") == "Lasku 2026 (1).pdf"
