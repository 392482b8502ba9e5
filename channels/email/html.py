"""HTML from strangers, made safe to show: an allow-list of tags and attributes, no
scripts, styles, event handlers or remote content, and plain text for the ticket thread."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

ALLOWED = frozenset(
    [
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
)
VOID = frozenset({"br", "hr"})
DROP_WITH_CONTENT = frozenset(
    {"script", "style", "head", "title", "iframe", "object", "embed", "template", "svg", "math"}
)
BLOCK = frozenset(
    ["p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "pre", "hr", "table"]
)
SAFE_URL = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_WITH_CONTENT:
            self.dropping += 1
            return
        if self.dropping:
            return
        if tag in BLOCK:
            self.text.append("\n")
        if tag not in ALLOWED:
            return
        kept = ""
        if tag == "a":
            href = next((v for k, v in attrs if k == "href" and v), "")
            if SAFE_URL.match(href.strip()):
                kept = f' href="{html.escape(href.strip(), quote=True)}" rel="nofollow noopener"'
        self.out.append(f"<{tag}{kept}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROP_WITH_CONTENT:
            return
        self.handle_starttag(tag, attrs)
        if tag in self.open and tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in DROP_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if self.dropping:
            return
        if tag in BLOCK:
            self.text.append("\n")
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        self.out.append(html.escape(data, quote=False))
        self.text.append(data)

    def finish(self) -> tuple[str, str]:
        self.close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        text = re.sub(r"[ \t\r\f\v]+", " ", "".join(self.text))
        text = re.sub(r"\n\s*\n\s*", "\n\n", text)
        return "".join(self.out), text.strip()


def sanitise(markup: str) -> tuple[str, str]:
    """The safe HTML and its plain text."""
    parser = _Sanitiser()
    parser.feed(markup)
    return parser.finish()
