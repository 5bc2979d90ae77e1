"""User Markdown to sanitised HTML: the only way user text becomes markup."""

from __future__ import annotations

import html

import markdown
import nh3
from markupsafe import Markup

# What a description, message or comment may contain. No images (they would load from
# outside the closed network), no styles, no scripts, no forms, no frames.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
EXTENSIONS = ("sane_lists", "tables", "fenced_code")
MAX_SOURCE_CHARS = 100_000


def sanitise_html(html: str) -> str:
    """Reduce HTML to the allow-list; links get rel=noopener noreferrer nofollow."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> Markup:
    """Render user Markdown to safe HTML (headings start at h3 to sit under page titles)."""
    if not text:
        return Markup("")
    rendered = markdown.markdown(text[:MAX_SOURCE_CHARS], extensions=list(EXTENSIONS))
    for level in (2, 1):  # demote # and ## so user text never outranks the page's own headings
        rendered = rendered.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return Markup(sanitise_html(rendered))  # noqa: S704 - sanitised by nh3 just above


def plain_excerpt(text: str | None, limit: int = 200) -> str:
    """A short plain-text excerpt of Markdown for lists (escaped by Jinja when shown)."""
    if not text:
        return ""
    stripped = nh3.clean(markdown.markdown(text[:MAX_SOURCE_CHARS]), tags=set())
    stripped = " ".join(html.unescape(stripped).split())
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"


def plain_text(text: str | None) -> str:
    """User Markdown as plain text with its line breaks (for calendars and mail)."""
    if not text:
        return ""
    stripped = html.unescape(nh3.clean(markdown.markdown(text[:MAX_SOURCE_CHARS]), tags=set()))
    lines = [" ".join(line.split()) for line in stripped.splitlines()]
    return "\n".join(lines).strip()
