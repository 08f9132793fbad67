"""Markdown of user text (card descriptions) rendered to HTML that is safe to display.

Two layers: markdown-it-py renders with raw HTML switched off (so ``<script>`` in a
description is text, not a tag), then nh3 keeps only a small set of tags and
attributes and only http, https and mailto links. The second layer holds even if a
rendering rule of the first ever lets markup through.
"""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt

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
    return parser.enable(["table", "strikethrough"]).disable("image")


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
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
