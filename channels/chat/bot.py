"""The chatbot that answers web chat first.

It answers from the public knowledge base in the visitor's language (the best article's
title, an excerpt and a link, or an FAQ answer) when the match is good enough; registers
a request step by step (category, address completed from the street registry, description,
an optional photo) and gives its number; tells the status of a request by its number only
when the request is the visitor's own (the status alone: the pre-chat email is not
verified, so nothing of the request's contents is told); and hands over to a person when
asked, or after two questions it could not answer, with the conversation so far on the
ticket. With no agent available it asks the visitor to leave a message instead, and hands
over after all when an agent has come back by the visitor's next message.

A conversation's state (``Conversation``: mode, the request's step and answers, language,
transcript, answers by client id) is kept in the database and read for each message, so
a restarted web process, or another one, carries the dialogue on where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlmodel import col, select

from channels.chat.adapter import Visitor
from channels.chat.conversation import BotReply, Choice, Conversation
from channels.chat.conversation_store import ConversationStore
from channels.chat.filing import ChatFiler, NewChatTicket
from channels.chat.presence import AcdPresence, AnyPresence, ChatPresence
from channels.chat.session import ChatService
from channels.chat.texts import keywords, say, status_text
from knowledge.matching import best_match, meaningful_words, stem
from knowledge.search import words_of
from knowledge.service import KnowledgeService
from knowledge.text import excerpt
from switchboard.db import Database
from ticketing.catalog.models import Category
from ticketing.contacts import AddressInput
from ticketing.models import ContactIdentity, IdentityKind, Ticket
from ticketing.streets import Street, StreetRegistry

TICKET_NUMBER = re.compile(r"\b(\d{4}-\d{6})\b")
HOUSE_NUMBER = re.compile(r"^(?P<street>.*?\D)\s*(?P<number>\d.*)?$")
MAX_FAILURES = 2
REMEMBERED_ANSWERS = 20
MAX_CHOICES = 9
TRANSCRIPT_HEADING = "Conversation with the chatbot:"


class ChatBot:
    def __init__(
        self,
        db: Database,
        knowledge: KnowledgeService,
        streets: StreetRegistry,
        filer: ChatFiler,
        presence: ChatPresence,
    ) -> None:
        self.db = db
        self.knowledge = knowledge
        self.streets = streets
        self.filer = filer
        self.presence = presence
        self.store = ConversationStore(db)

    async def conversation(self, visitor: Visitor) -> Conversation:
        """Where the bot is with this visitor (a new conversation when it has none)."""
        return await self.store.get(visitor.conversation) or Conversation()

    async def resume(self, visitor: Visitor, open_ticket: bool, language: str) -> None:
        """The visitor (re)joins in a language. A conversation the bot has no record of
        that already has an open ticket carries on with the desk rather than the bot."""
        async with self.store.turn(visitor.conversation):
            state = await self.store.get(visitor.conversation)
            if state is None:
                state = Conversation(mode="human" if open_ticket else "bot")
            state.language = language
            await self.store.put(visitor.conversation, state)

    async def greeting(self, visitor: Visitor) -> BotReply:
        state = await self.conversation(visitor)
        return BotReply(say("greeting", state.language, name=visitor.name))

    async def with_agent(self, visitor: Visitor) -> bool:
        return (await self.conversation(visitor)).mode == "human"

    async def handle(self, visitor: Visitor, text: str, client_id: str = "") -> list[BotReply]:
        """The bot's answers; a message sent again (its ack was lost) gets the same ones."""
        async with self.store.turn(visitor.conversation):
            state = await self.conversation(visitor)
            if client_id and client_id in state.answered:
                return state.answered[client_id]
            state.transcript.append(("Visitor", text))
            replies = await self._answer(visitor, state, text)
            state.transcript.extend(("Assistant", r.text) for r in replies)
            if client_id:
                state.answered[client_id] = replies
                while len(state.answered) > REMEMBERED_ANSWERS:
                    del state.answered[next(iter(state.answered))]
            await self.store.put(visitor.conversation, state)
            return replies

    async def file_received(self, visitor: Visitor, file: dict[str, Any]) -> list[BotReply]:
        """A file the visitor sent: the request's photo, or kept for the ticket to come."""
        async with self.store.turn(visitor.conversation):
            state = await self.conversation(visitor)
            state.files.append(file)
            state.transcript.append(("Visitor", f"[file {file['filename']}]"))
            if state.mode == "request" and state.step == "photo":
                replies = [await self._file_request(visitor, state)]
            else:
                replies = [BotReply(say("file_received", state.language, name=file["filename"]))]
            await self.store.put(visitor.conversation, state)
            return replies

    async def leave_message(self, visitor: Visitor, text: str, key: str) -> str:
        """File what a visitor left when no agent was there, with the bot's transcript."""
        async with self.store.turn(visitor.conversation):
            state = await self.conversation(visitor)
            number = await self._leave_message(visitor, state, text, key)
            await self.store.put(visitor.conversation, state)
            return number

    async def _leave_message(
        self, visitor: Visitor, state: Conversation, text: str, key: str
    ) -> str:
        state.transcript.append(("Visitor", text))
        number = await self.filer.file(
            visitor,
            NewChatTicket(
                provider_id=f"message-{key}",
                subject=_subject(state, text),
                body=_with_transcript(text, state.transcript[:-1]),
                files=list(state.files),
            ),
        )
        state.mode, state.failures, state.files = "bot", 0, []
        state.transcript.clear()
        return number

    # --- what a message means -----------------------------------------------------------
    async def _answer(self, visitor: Visitor, state: Conversation, text: str) -> list[BotReply]:
        if state.mode == "message":
            if await self.presence.available():  # an agent came back: a person takes it
                return [await self._handover(visitor, state)]
            state.transcript.pop()  # leave_message records it
            state.filed += 1
            number = await self._leave_message(visitor, state, text, f"bot-{state.filed}")
            return [BotReply(say("message_filed", state.language, number=number), ticket=number)]
        if state.mode == "request":
            return [await self._request_step(visitor, state, text)]
        words = set(words_of(text))
        number = TICKET_NUMBER.search(text)
        if number is not None:
            return [await self._status(visitor, state, number.group(1))]
        if words & keywords("human", state.language):
            return [await self._handover(visitor, state)]
        if words & keywords("report", state.language):
            return [await self._start_request(state)]
        reply = await self._from_knowledge(state, text)
        if reply is not None:
            state.failures = 0
            return [reply]
        state.failures += 1
        if state.failures >= MAX_FAILURES:
            return [await self._handover(visitor, state)]
        return [BotReply(say("not_found", state.language))]

    async def _from_knowledge(self, state: Conversation, text: str) -> BotReply | None:
        stems = [stem(w) for w in meaningful_words(text, state.language)]
        articles, faqs = await self.knowledge.public_candidates(state.language, stems)
        match = best_match(text, state.language, articles, faqs)
        if match is None:
            return None
        if match.faq is not None:
            linked = None
            if match.faq.article_id is not None:
                linked = next((a for a in articles if a.id == match.faq.article_id), None)
            return BotReply(match.faq.answer, article=_card(linked) if linked else None)
        assert match.article is not None
        card = _card(match.article)
        return BotReply(say("answer", state.language, title=match.article.title), article=card)

    async def _status(self, visitor: Visitor, state: Conversation, number: str) -> BotReply:
        owners = select(ContactIdentity.contact_id).where(
            ContactIdentity.kind == IdentityKind.EMAIL, ContactIdentity.value == visitor.email
        )
        async with self.db.session() as session:
            ticket = (
                await session.exec(
                    select(Ticket).where(
                        Ticket.number == number, col(Ticket.contact_id).in_(owners)
                    )
                )
            ).first()
        if ticket is None:  # missing or someone else's: the same answer
            return BotReply(say("status_unknown", state.language, number=number))
        status = status_text(ticket.status.value, state.language)
        # The status only, never the contents: the pre-chat email is not verified.
        return BotReply(say("status", state.language, number=number, status=status), ticket=number)

    async def _handover(self, visitor: Visitor, state: Conversation) -> BotReply:
        state.failures = 0
        if not await self.presence.available():
            state.mode = "message"
            return BotReply(say("no_agent", state.language), offline=True)
        state.filed += 1
        first = next((t for who, t in state.transcript if who == "Visitor"), "Chat")
        number = await self.filer.file(
            visitor,
            NewChatTicket(
                provider_id=f"handover-{state.filed}",
                subject=_subject(state, first),
                body=_with_transcript(first, state.transcript),
                files=list(state.files),
            ),
        )
        state.mode, state.files = "human", []
        state.transcript.clear()
        return BotReply(say("handover", state.language, number=number), ticket=number)

    # --- registering a request ------------------------------------------------------------
    async def _start_request(self, state: Conversation) -> BotReply:
        state.mode, state.category_id, state.address, state.description = "request", None, None, ""
        async with self.db.session() as session:
            categories = (
                await session.exec(
                    select(Category)
                    .where(Category.level == 0, Category.active == True)  # noqa: E712
                    .order_by(col(Category.path))
                    .limit(MAX_CHOICES)
                )
            ).all()
        if not categories:
            state.step = "address"
            return BotReply(say("ask_address", state.language))
        state.step = "category"
        state.choices = [Choice(c.name, id=c.id) for c in categories]
        return BotReply(say("ask_category", state.language, choices=_numbered(state.choices)))

    async def _request_step(self, visitor: Visitor, state: Conversation, text: str) -> BotReply:
        language = state.language
        if state.step == "category":
            chosen = _choice(state.choices, text)
            if chosen is None:
                return BotReply(say("bad_category", language, choices=_numbered(state.choices)))
            state.category_id, state.step = chosen.id, "address"
            return BotReply(say("ask_address", language))
        if state.step == "street":
            chosen = _choice(state.choices, text)
            if chosen is None:
                return BotReply(say("pick_street", language, choices=_numbered(state.choices)))
            return self._address_chosen(state, chosen)
        if state.step == "address":
            return await self._address(state, text)
        if state.step == "description":
            state.description, state.step = text, "photo"
            return BotReply(say("ask_photo", language))
        # the photo step: any text goes on without one
        return await self._file_request(visitor, state)

    async def _address(self, state: Conversation, text: str) -> BotReply:
        parts = HOUSE_NUMBER.match(" ".join(text.split()))
        street = (parts.group("street") if parts else text).strip(" ,")
        state.house_number = ((parts.group("number") if parts else "") or "").strip()
        found = await self.streets.complete(street, limit=MAX_CHOICES) if street else []
        if len(found) == 1:
            return self._address_chosen(state, _street_choice(found[0]))
        if len(found) > 1:
            state.step = "street"
            state.choices = [_street_choice(street) for street in found]
            return BotReply(say("pick_street", state.language, choices=_numbered(state.choices)))
        state.address = AddressInput(street=text.strip()[:200])  # kept, flagged if unknown
        state.step = "description"
        return BotReply(say("ask_description", state.language))

    def _address_chosen(self, state: Conversation, street: Choice) -> BotReply:
        line = f"{street.name} {state.house_number}".strip()
        postal_code = street.postal_code or ""
        state.address = AddressInput(street=line, postal_code=postal_code, city=street.city)
        state.step = "description"
        return BotReply(say("ask_description", state.language))

    async def _file_request(self, visitor: Visitor, state: Conversation) -> BotReply:
        state.filed += 1
        number = await self.filer.file(
            visitor,
            NewChatTicket(
                provider_id=f"request-{state.filed}",
                subject=_subject(state, state.description),
                body=_with_transcript(state.description, state.transcript),
                category_id=state.category_id,
                address=state.address,
                files=list(state.files),
            ),
        )
        state.mode, state.step, state.files, state.choices = "bot", "", [], []
        state.transcript.clear()
        return BotReply(say("request_filed", state.language, number=number), ticket=number)


def _card(article: Any) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "excerpt": excerpt(article.plain),
        "url": f"/kb/articles/{article.id}",
    }


def _street_choice(street: Street) -> Choice:
    return Choice(street.name, street.id, street.postal_code or "", street.city)


def _numbered(choices: Sequence[Choice]) -> str:
    lines = []
    for n, choice in enumerate(choices, start=1):
        if choice.postal_code is not None:
            lines.append(f"{n}. {choice.name}, {choice.postal_code} {choice.city}")
        else:
            lines.append(f"{n}. {choice.name}")
    return "\n".join(lines)


def _choice(choices: Sequence[Choice], text: str) -> Choice | None:
    answer = text.strip().rstrip(".")
    if answer.isdigit() and 1 <= int(answer) <= len(choices):
        return choices[int(answer) - 1]
    folded = answer.casefold()
    return next((c for c in choices if c.name.casefold() == folded), None)


def _subject(state: Conversation, text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:300] or "Chat"


def _with_transcript(text: str, transcript: Sequence[tuple[str, str]]) -> str:
    if not transcript:
        return text
    lines = "\n".join(f"{who}: {said}" for who, said in transcript)
    return f"{text}\n\n{TRANSCRIPT_HEADING}\n{lines}"


def enable_chatbot(
    chat: ChatService,
    knowledge: KnowledgeService,
    streets: StreetRegistry,
    acd_agents: Callable[[], Iterable[Any]] | None = None,
) -> ChatBot:
    """Put the bot in front of the chat; agents count as present when they set it at
    the desk or, when the ACD runs here, are ready with chat capacity left."""
    if acd_agents is not None:
        chat.presence = AnyPresence(chat.desk_presence, AcdPresence(acd_agents))
    chat.bot = ChatBot(chat.db, knowledge, streets, chat.filer, chat.presence)
    return chat.bot
