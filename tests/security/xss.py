"""Stored cross-site scripting payloads, and a check that rendered HTML holds none of them.

Every payload that ran would set ``window.__xss`` (and most would open a dialog), so a
browser test can tell whether any of them executed.
"""

from __future__ import annotations

from html.parser import HTMLParser

PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=2;alert(2)">',
    '<svg onload="window.__xss=3;alert(3)">',
    "[click me](javascript:window.__xss=4;alert(4))",
    "[click me](JaVaScRiPt:window.__xss=5)",
    '<a href="javascript:window.__xss=6">link</a>',
    '"><script>window.__xss=7</script>',
    '<iframe src="javascript:window.__xss=8"></iframe>',
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9OTwvc2NyaXB0Pg==)",
    '<details open ontoggle="window.__xss=10">x</details>',
    '![x](https://example.com/x.png" onerror="window.__xss=11)',
    '[t](https://example.com "x\\" onmouseover=\\"window.__xss=12")',
    "<style>body{background:url(javascript:window.__xss=13)}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=14>",
    "[x](&#106;avascript:window.__xss=15)",
    '<a href="&#x6A;avascript:window.__xss=16">x</a>',
    "<<script>script>window.__xss=17<</script>/script>",
    "<!--><img src=x onerror=window.__xss=18>-->",
    "{{constructor.constructor('window.__xss=19')()}}",
    '<form action="javascript:window.__xss=20"><button>go</button></form>',
]

SAFE_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {"a": {"href", "title", "rel", "target"}, "ol": {"start"}}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs.extend(value or "" for name, value in attrs if name == "href")
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href" and value is not None:
                scheme = value.split(":", 1)[0].lower().strip() if ":" in value else ""
                if scheme and scheme not in {"http", "https", "mailto"}:
                    self.problems.append(f"href {value!r}")
            if tag == "a" and name == "rel" and value != "noopener noreferrer nofollow":
                self.problems.append(f"rel {value!r}")

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")


def unsafe_parts(html: str) -> list[str]:
    """Return what in ``html`` is outside the safe set (empty when the HTML is safe)."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def link_targets(html: str) -> list[str]:
    """Return the ``href`` of every element of ``html`` (escaped text is not an element)."""
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.hrefs
