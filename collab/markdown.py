"""Markdown of user text (card descriptions, comments) rendered to HTML that is safe to display.

Two layers: markdown-it-py renders with raw HTML switched off (so ``<script>`` in a
description is text, not a tag), then nh3 keeps only a small set of tags and
attributes and only http, https and mailto links. The second layer holds even if a
rendering rule of the first ever lets markup through.
"""

from __future__ import annotations

import re
from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# ``@username`` (Django's username characters, but "@"), not inside a word, an e-mail
# address or a path. collab.notify tells the members it names; here every one is drawn
# as a mention, member or not, so the page says nothing about who has an account.
MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z0-9_.+-]{0,149}[A-Za-z0-9_+-])")

# What Markdown produces, minus images: an external image is a tracking pixel, and the
# content security policy would block it anyway.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "span",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"


@cache
def _parser() -> MarkdownIt:
    # CommonMark with GitHub's tables and strikethrough; single newlines break lines,
    # as people type them in a text box.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    parser = parser.enable(["table", "strikethrough"]).disable("image")
    parser.core.ruler.push("mentions", _mentions)
    return parser


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _mentions(state: StateCore) -> None:
    """Draw each ``@username`` in running text (not in code) as a mention."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for token in block.children:
            if token.type != "text" or "@" not in token.content:
                children.append(token)
                continue
            position = 0
            for match in MENTION.finditer(token.content):
                if match.start() > position:
                    children.append(_text(token.content[position : match.start()]))
                mention = Token("html_inline", "", 0)
                mention.content = f'<span class="mention">@{match.group(1)}</span>'
                children.append(mention)
                position = match.end()
            if position < len(token.content):
                children.append(_text(token.content[position:]))
        block.children = children


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        allowed_classes={"span": {"mention"}},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Return ``text`` rendered from Markdown to sanitised HTML ("" for empty text)."""
    if not text.strip():
        return ""
    return _cleaner().clean(_parser().render(text)).strip()
