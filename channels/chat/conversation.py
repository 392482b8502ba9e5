"""One web-chat conversation as the chatbot sees it (``Conversation``), the bot's answers
(``BotReply``), and their JSON form for the database (``dump`` / ``load``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ticketing.contacts import AddressInput


@dataclass(frozen=True)
class BotReply:
    text: str
    article: dict[str, Any] | None = None  # {"id", "title", "excerpt", "url"}
    ticket: str | None = None  # a number the visitor was given
    offline: bool = False  # no agent: the widget offers to leave a message

    def frame(self) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "message", "from": "bot", "text": self.text}
        if self.article is not None:
            frame["article"] = self.article
        if self.ticket is not None:
            frame["ticket"] = self.ticket
        if self.offline:
            frame["offline"] = True
        return frame


@dataclass(frozen=True)
class Choice:
    """One numbered option the bot offered: a category (its id) or a street."""

    name: str
    id: int | None = None
    postal_code: str | None = None  # set for streets
    city: str = ""


@dataclass
class Conversation:
    language: str = "en"
    mode: str = "bot"  # bot | human | message (leaving one) | request (registering one)
    step: str = ""  # of a request: category, street, address, description, photo
    failures: int = 0
    transcript: list[tuple[str, str]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    category_id: int | None = None
    address: AddressInput | None = None
    house_number: str = ""
    description: str = ""
    filed: int = 0  # tickets filed so far: part of their de-duplication keys
    answered: dict[str, list[BotReply]] = field(default_factory=dict)  # by client id


def dump(state: Conversation) -> dict[str, Any]:
    """The conversation as JSON-ready data."""
    data = asdict(state)
    data["transcript"] = [list(line) for line in state.transcript]
    return data


def load(data: dict[str, Any]) -> Conversation:
    """A conversation from what ``dump`` made (fields it does not know are left out)."""
    address = data.get("address")
    return Conversation(
        language=str(data.get("language", "en")),
        mode=str(data.get("mode", "bot")),
        step=str(data.get("step", "")),
        failures=int(data.get("failures", 0)),
        transcript=[(str(who), str(said)) for who, said in data.get("transcript", [])],
        files=[dict(f) for f in data.get("files", [])],
        choices=[Choice(**c) for c in data.get("choices", [])],
        category_id=data.get("category_id"),
        address=AddressInput(**address) if isinstance(address, dict) else None,
        house_number=str(data.get("house_number", "")),
        description=str(data.get("description", "")),
        filed=int(data.get("filed", 0)),
        answered={
            str(client_id): [BotReply(**reply) for reply in replies]
            for client_id, replies in data.get("answered", {}).items()
        },
    )
