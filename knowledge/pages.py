"""An article as a small, self-contained HTML page: sanitised HTML as stored, Markdown
as escaped paragraphs and headings (no script, no outside resources)."""

from __future__ import annotations

import html
import re

from knowledge.models import BodyFormat, KbArticle

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
STYLE = "body{font:16px/1.5 sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"


def markdown_html(body: str) -> str:
    blocks = []
    for block in re.split(r"\n\s*\n", body.strip()):
        heading = _HEADING.match(block.strip())
        if heading and "\n" not in block.strip():
            level = min(len(heading.group(1)) + 1, 6)
            blocks.append(f"<h{level}>{html.escape(heading.group(2))}</h{level}>")
        else:
            text = html.escape(block.strip()).replace("\n", "<br>")
            blocks.append(f"<p>{text}</p>")
    return "\n".join(blocks)


def article_html(article: KbArticle) -> str:
    body = article.body if article.body_format is BodyFormat.HTML else markdown_html(article.body)
    title = html.escape(article.title)
    return (
        f"<!doctype html><html lang='{html.escape(article.language)}'><head>"
        f"<meta charset='utf-8'><title>{title}</title><style>{STYLE}</style></head>"
        f"<body><article><h1>{title}</h1>\n{body}</article></body></html>"
    )
