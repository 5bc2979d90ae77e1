"""User Markdown to sanitised HTML: the only way user text becomes markup.

Text is rendered once, when it is written, and the HTML is stored beside its source (the
``*_html`` columns); pages show the stored HTML with ``stored()`` (the ``|rendered`` filter).
``RENDER_VERSION`` names the rules that rendered it: when they change (allow-list, extensions,
library versions, the bounds below), ``flask markup refresh`` renders every stored row again.

Rendering is bounded. At most ``MAX_SOURCE_CHARS`` of source are read; the inputs known to make
Python-Markdown super-linear are neutralised first (``_Bounds``: long bracket scans, chains of
headings and rules, unclosed code fences, runs of unfinished tags, deep nesting), each change
limited to text no person writes, so ordinary text renders exactly as before; and a render
that still uses more than ``RENDER_CPU_SECONDS`` of CPU is stored as plain paragraphs.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from html import escape, unescape
from importlib.metadata import version
from queue import Empty, SimpleQueue
from types import MethodType
from typing import Any
from xml.etree import ElementTree as etree

import markdown
import nh3
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.tables import PIPE_LEFT, PIPE_NONE, PIPE_RIGHT
from markdown.inlinepatterns import LinkInlineProcessor
from markdown.preprocessors import Preprocessor
from markupsafe import Markup
from sqlalchemy import event

from app.models import Campaign, Document, Event, Message, Organisation

log = logging.getLogger(__name__)

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

# The bounds. The longest field is a campaign or event description (20,000 characters); a
# message is at most 16 KB. Each limit is far beyond what a person writes.
MAX_SOURCE_CHARS = 20_000
MAX_NESTING = 16  # lists and quotes opened on one line ("- - - x", "> > x", "1. 1. x")
MAX_LINK_TEXT = 1_000  # characters between "[" and its "]"
MAX_LINK_DEPTH = 32  # brackets inside link text, parentheses inside a link's address
MAX_LINK_ADDRESS = 2_000  # characters between "(" and its ")"
MAX_OPEN_TAGS = 64  # "<x" without a ">" between them (each is scanned up to the next ">")
MAX_FENCE_SCAN = 20_000_000  # characters scanned looking for closing fences (about 0.1 s)
RENDER_CPU_SECONDS = 0.5  # CPU time of this thread, so a busy server does not cut renders short
# Bump when the neutralising code below changes what it produces.
BOUNDS_REVISION = 1


def _render_version() -> str:
    """A short name for everything that decides the stored HTML."""
    rules = repr(
        (
            sorted(ALLOWED_TAGS),
            sorted((tag, sorted(attrs)) for tag, attrs in ALLOWED_ATTRIBUTES.items()),
            sorted(URL_SCHEMES),
            EXTENSIONS,
            (MAX_SOURCE_CHARS, MAX_NESTING, MAX_LINK_TEXT, MAX_LINK_DEPTH, MAX_LINK_ADDRESS),
            (MAX_OPEN_TAGS, MAX_FENCE_SCAN, RENDER_CPU_SECONDS),
            version("markdown"),
            version("nh3"),
        )
    )
    return f"{BOUNDS_REVISION}-{hashlib.sha256(rules.encode()).hexdigest()[:12]}"


RENDER_VERSION = _render_version()


class RenderTooSlow(Exception):
    """A render used up its CPU time; the text is stored as plain paragraphs instead."""


# --- neutralising the inputs Python-Markdown handles in super-linear time ---------------------
#
# Python-Markdown (issues #798, #799, #1130, #1617 and others) and the HTML parser it uses are
# quadratic or worse on some inputs. Each rule below changes only such input, and in a way
# that renders the same, or as the same visible text.

# A line opening lists or quotes, one marker at a time (as the block parser nests them).
_CONTAINER = re.compile(r"[ ]{0,3}(?:>[ ]?|[*+-][ ]+|\d+\.[ ]+)")
# The opening line of a fenced block, as the fenced_code extension reads it.
_FENCE_OPENER = re.compile(
    r"(`{3,}|~{3,})[ ]*(?:\{[^\n]*\}|(?:\.?[\w#.+-]*[ ]*)?(?:hl_lines=(\"|').*?\2[ ]*)?)"
)
_FENCE_CLOSER = re.compile(r"(`{3,}|~{3,})[ ]*")
_LONG_SPACES = re.compile(r"[ ]{16,}")
_TAG_START = re.compile(r"<[a-zA-Z/!?]")


def _limit_nesting(line: str) -> str:
    """Show the list and quote markers of a line after the first MAX_NESTING as text.

    Each marker nests one level deeper: "- " or "1. " repeated on one line recursed until
    Python raised RecursionError.
    """
    pos = 0
    for _depth in range(MAX_NESTING):
        found = _CONTAINER.match(line, pos)
        if found is None:
            return line
        pos = found.end()
    found = _CONTAINER.match(line, pos)
    if found is None:
        return line
    marker = found.start() + len(found.group()) - len(found.group().lstrip(" "))
    if line[marker].isdigit():  # "12." is escaped at its full stop
        marker = line.index(".", marker)
    return line[:marker] + "\\" + line[marker:]


class _NestingLimit(Preprocessor):
    """Lists and quotes nest at most MAX_NESTING deep on one line."""

    def run(self, lines: list[str]) -> list[str]:
        """Escape the markers beyond the limit."""
        return [_limit_nesting(line) if len(line) > MAX_NESTING else line for line in lines]


def _closers(lines: list[str], starts: list[int]) -> dict[str, list[int]]:
    """The lines that can close a fenced block, by fence, in order."""
    found: dict[str, list[int]] = {}
    for number in starts:
        if closer := _FENCE_CLOSER.fullmatch(lines[number]):
            found.setdefault(closer.group(1), []).append(number)
    return found


class _Fences(Preprocessor):
    """Fence lines the fenced_code extension would read in quadratic or cubic time.

    Its expression scans from every opening fence that nothing closes to the end of the
    text, and again after each block it replaces. When that would be a lot of scanning
    (never for a forgotten fence or two), those fences move off the margin by one space:
    they were not code blocks and show the same text. Long runs of spaces on a fence line
    (cubic) become one space.
    """

    def run(self, lines: list[str]) -> list[str]:
        """Neutralise the unclosed fences and the space runs of the lines outside blocks."""
        starts = [number for number, line in enumerate(lines) if line.startswith(("```", "~~~"))]
        closers, inside_until, blocks, unclosed = _closers(lines, starts), -1, 0, []
        for number in starts:
            if number <= inside_until:
                continue  # a line of a fenced block: code, left as it is
            line = lines[number] = _LONG_SPACES.sub(" ", lines[number])
            if (opener := _FENCE_OPENER.fullmatch(line)) is None:
                continue
            after = closers.get(opener.group(1), [])
            end = bisect.bisect_right(after, number)
            if end < len(after):
                inside_until, blocks = after[end], blocks + 1
            else:
                unclosed.append(number)
        if len(unclosed) * (blocks + 1) * sum(map(len, lines)) > MAX_FENCE_SCAN:
            for number in unclosed:
                lines[number] = " " + lines[number]
        return lines


def _escape_open_tags(text: str) -> str:
    """Write "<" as "&lt;" where it starts one of too many tags without a ">".

    The HTML parser scans from each "<x" to the next ">": thousands of them before one
    ">" took seconds. Both spellings render as the same "<".
    """
    pieces, last, since_close, scanned = [], 0, 0, 0
    for start in _TAG_START.finditer(text):
        at = start.start()
        if text.find(">", scanned, at) >= 0:
            since_close = 0
        scanned = at
        since_close += 1
        if since_close > MAX_OPEN_TAGS:
            pieces += [text[last:at], "&lt;"]
            last = at + 1
    return "".join(pieces) + text[last:] if pieces else text


class _OpenTags(Preprocessor):
    """Tag starts the HTML block parser would scan in quadratic time."""

    def run(self, lines: list[str]) -> list[str]:
        """Escape the "<" of the runs of unfinished tags."""
        text = "\n".join(lines)
        return _escape_open_tags(text).split("\n") if "<" in text else lines


def _link_text(self: LinkInlineProcessor, data: str, index: int) -> tuple[str, int, bool]:
    """The text between "[" and its "]", looking at most MAX_LINK_TEXT characters ahead.

    Python-Markdown's own getText walks to the end of the paragraph from every "[" that is
    never closed, so a run of "[" took minutes. Same result for any real link.
    """
    end, depth, pos = min(len(data), index + MAX_LINK_TEXT), 1, index
    while depth <= MAX_LINK_DEPTH:
        close = data.find("]", pos, end)
        if close < 0:
            break
        depth += data.count("[", pos, close) - 1
        if depth == 0:
            return data[index:close], close + 1, True
        pos = close + 1
    return "", index, False


def _closing_parenthesis(data: str, index: int) -> int:
    """Where the parenthesis opened just before index closes, counting nesting; -1 if not soon."""
    end, depth, pos = min(len(data), index + MAX_LINK_ADDRESS), 1, index
    while depth <= MAX_LINK_DEPTH:
        close = data.find(")", pos, end)
        if close < 0:
            return -1
        depth += data.count("(", pos, close) - 1
        if depth == 0:
            return close
        pos = close + 1
    return -1


def _bounded_link(get_link: Callable[..., Any]) -> Callable[..., Any]:
    """Python-Markdown's getLink, reading only as far as a closing parenthesis can be."""

    def link(data: str, index: int) -> tuple[str, str | None, int, bool]:
        if not data.startswith("(", index):
            return "", None, index, False
        close = _closing_parenthesis(data, index + 1)
        if close < 0:  # a title may hold a "(" of its own
            close = data.find(")", index, index + MAX_LINK_ADDRESS)
        if close < 0:
            return "", None, index, False
        # A title may hold a ")" of its own: read a little past the first balanced one.
        window = data[index : min(close + 200, index + MAX_LINK_ADDRESS)]
        href, title, end, handled = get_link(window, 0)
        return href, title, index + end, handled

    return link


def _lines(text: str) -> Iterator[str]:
    """The lines of a text, one at a time (without splitting all of it)."""
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _table_test(self: Any, parent: etree.Element, block: str) -> bool:
    """TableProcessor.test reading only the rows it needs.

    The original split every row of the block each time it was asked, and the block parser
    asks again after each heading or rule it takes off a block: quadratic for thousands.
    """
    first, newline, rest = block.partition("\n")
    if not newline:
        return False
    header = first.strip(" ")
    self.border = PIPE_NONE
    if header.startswith("|"):
        self.border |= PIPE_LEFT
    if self.RE_END_BORDER.search(header) is not None:
        self.border |= PIPE_RIGHT
    columns = len(self._split_row(header))
    is_table = columns > 1
    if not is_table and columns == 1 and self.border:
        is_table = all(
            row.startswith("|") or self.RE_END_BORDER.search(row) is not None
            for row in (line.strip(" ") for line in _lines(rest))
        )
    if is_table:
        separator = self._split_row(rest.partition("\n")[0].strip(" "))
        is_table = len(separator) == columns and set("".join(separator)) <= set("|:- ")
        if is_table:
            self.separator = separator
    return is_table


def _hash_test(self: Any, parent: etree.Element, block: str) -> bool:
    """HashHeaderProcessor.test starting at the first line that opens with "#".

    The original searched the whole block for a heading each time; in a block of thousands of
    headings or rules, each taken off in turn, that was quadratic.
    """
    start = 0 if block.startswith("#") else block.find("\n#")
    return start >= 0 and self.RE.search(block, start) is not None


def _detab(self: Any, text: str, length: int | None = None) -> tuple[str, str]:
    """BlockProcessor.detab reading only the indented lines (it split the whole block).

    The indented lines lose one indent; the rest of the block is returned as it was.
    """
    indent, kept, end = " " * (self.tab_length if length is None else length), [], 0
    for line in _lines(text):
        if line.startswith(indent):
            kept.append(line[len(indent) :])
        elif not line.strip():
            kept.append("")
        else:
            break
        end += len(line) + 1
    return "\n".join(kept), text[end:]


def _tail_of(text: str, longer: str) -> bool:
    """Whether text is the last lines of longer (it starts where a line of longer starts)."""
    return longer.endswith(text) and (len(text) == len(longer) or longer[~len(text)] == "\n")


class _MissMemo:
    """A block test's pattern that remembers the last blocks it found nothing in.

    The block parser asks again about what is left of a block after each piece it takes off:
    if nothing matched in the whole block, nothing matches in its last lines. Without this,
    every step scanned the whole rest (quadratic).
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.misses = pattern, deque(maxlen=8)

    def search(self, text: str, *args: Any) -> re.Match[str] | None:
        """pattern.search, answered at once for the last lines of a recent miss."""
        if args:
            return self.pattern.search(text, *args)
        if any(_tail_of(text, miss) for miss in self.misses):
            return None
        found = self.pattern.search(text)
        if found is None:
            self.misses.append(text)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern, name)


def _setext_run(self: Any, parent: etree.Element, blocks: list[str]) -> None:
    """SetextHeaderProcessor.run splitting off only the heading's two lines (not every line)."""
    lines = blocks.pop(0).split("\n", 2)
    heading = etree.SubElement(parent, "h1" if lines[1].startswith("=") else "h2")
    heading.text = lines[0].strip()
    if len(lines) > 2:
        blocks.insert(0, lines[2])


class _Budget(BlockProcessor):
    """Stops a render that has used its CPU time (asked first, for every block)."""

    def __init__(self, parser: Any, bounds: _Bounds) -> None:
        super().__init__(parser)
        self.bounds = bounds

    def test(self, parent: etree.Element, block: str) -> bool:
        """Never handles a block; raises when the time is up."""
        self.bounds.check()
        return False

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        """Not called (test is always false)."""


class _Bounds(Extension):
    """The bounds of our one renderer (its own processors; nothing global is changed)."""

    deadline = float("inf")
    checks = 0

    def check(self) -> None:
        """Raise RenderTooSlow once the render has used its CPU time (looked at every 64 calls)."""
        self.checks += 1
        if not self.checks % 64 and time.thread_time() > self.deadline:
            raise RenderTooSlow

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Markdown's API
        """Register the neutralising preprocessors and bound the processors that need it."""
        md.preprocessors.register(_Fences(md), "bounded_fences", 27)  # before fenced_code
        md.preprocessors.register(_OpenTags(md), "bounded_open_tags", 22)  # before html_block
        md.preprocessors.register(_NestingLimit(md), "bounded_nesting", 15)
        md.parser.blockprocessors.register(_Budget(md.parser, self), "bounded_budget", 1000)
        blocks = md.parser.blockprocessors
        blocks["table"].test = MethodType(_table_test, blocks["table"])
        blocks["hashheader"].test = MethodType(_hash_test, blocks["hashheader"])
        blocks["setextheader"].run = MethodType(_setext_run, blocks["setextheader"])
        blocks["hr"].SEARCH_RE = _MissMemo(blocks["hr"].SEARCH_RE)
        blocks["quote"].RE = _MissMemo(blocks["quote"].RE)
        for processor in blocks:
            processor.detab = MethodType(_detab, processor)
        for pattern in md.inlinePatterns:
            if isinstance(pattern, LinkInlineProcessor):
                pattern.getText = MethodType(_link_text, pattern)
                pattern.getLink = _bounded_link(pattern.getLink)
            pattern.handleMatch = self._timed(pattern.handleMatch)

    def _timed(self, handle: Callable[..., Any]) -> Callable[..., Any]:
        def handle_match(*args: Any) -> Any:
            self.check()
            return handle(*args)

        return handle_match


# Idle renderers, reused: building one costs more than most renders. A pool rather than one
# per thread: a server has hundreds of threads, and only a few render at the same moment.
_idle: SimpleQueue[tuple[markdown.Markdown, _Bounds]] = SimpleQueue()


def _renderer() -> tuple[markdown.Markdown, _Bounds]:
    """An idle renderer, or a new one."""
    try:
        return _idle.get_nowait()
    except Empty:
        bounds = _Bounds()
        return markdown.Markdown(extensions=[*EXTENSIONS, bounds]), bounds


def _plain_paragraphs(text: str) -> str:
    """Text as escaped paragraphs, for what the renderer could not finish."""
    paragraphs = (part.strip() for part in re.split(r"\n[ \t]*\n", text))
    return "\n".join(f"<p>{escape(part, quote=False)}</p>" for part in paragraphs if part)


def _convert(text: str) -> str:
    """Markdown to HTML with a pooled renderer; plain paragraphs if it cannot finish."""
    md, bounds = _renderer()
    md.reset()
    bounds.deadline = time.thread_time() + RENDER_CPU_SECONDS
    try:
        html = md.convert(text)
    except (RenderTooSlow, RecursionError):
        log.warning("Markdown of %d characters rendered as plain text (too slow)", len(text))
    except Exception:  # the renderer's own bug on odd input: the text stays readable
        log.exception("Markdown of %d characters rendered as plain text (failed)", len(text))
    else:
        _idle.put((md, bounds))
        return html
    # The renderer stopped half-way through (its parser keeps state): it is not reused.
    return _plain_paragraphs(text)


# --- what the rest of the application uses ----------------------------------------------------

# Every column of user Markdown, with the column that keeps its rendered HTML.
RENDERED = (
    (Organisation.description, Organisation.description_html),
    (Campaign.description, Campaign.description_html),
    (Event.description, Event.description_html),
    (Message.body, Message.body_html),
    (Document.description, Document.description_html),
)


def _forget_html(html_key: str) -> Callable[..., None]:
    def forget(target: Any, value: Any, old: Any, initiator: Any) -> None:
        setattr(target, html_key, "")

    return forget


# Assigning a text empties its HTML until the writer renders it (services do, right after):
# stored HTML is never stale, and text written another way waits for `flask markup refresh`.
for _source, _html in RENDERED:
    event.listen(_source, "set", _forget_html(_html.key))


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


def render_markdown(text: str | None, limit: int = MAX_SOURCE_CHARS) -> Markup:
    """Render user Markdown to safe HTML, within the bounds above.

    Headings start at h3 to sit under page titles. Services store the result beside the
    source when the text is written; pages show the stored HTML. ``limit``: characters
    rendered (a shared document is longer than a description; the CPU budget still holds).
    """
    if not text:
        return Markup("")
    rendered = _convert(text[:limit])
    for level in (2, 1):  # demote # and ## so user text never outranks the page's own headings
        rendered = rendered.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return Markup(sanitise_html(rendered))  # noqa: S704 - sanitised by nh3 just above


def stored(html: str | None, source: str | None = None) -> Markup:
    """HTML that render_markdown made and a service stored, marked safe for templates.

    Given its source, a page about one thing renders a row whose HTML is missing (text
    assigned without it, or stored before migration 0005, until ``flask markup refresh``);
    lists pass no source and never render.
    """
    if not html and source and source.strip():
        return render_markdown(source)
    return Markup(html or "")  # noqa: S704 - stored output of render_markdown (sanitised)


def _text_of(html: str) -> str:
    """Stored HTML without its tags, entities read."""
    return unescape(nh3.clean(html, tags=set()))


def plain_excerpt(html: str | None, limit: int = 200) -> str:
    """A short plain-text excerpt of stored HTML for lists (escaped by Jinja when shown)."""
    if not html:
        return ""
    stripped = " ".join(_text_of(html).split())
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"


def plain_text(html: str | None) -> str:
    """Stored HTML as plain text with its line breaks (for calendars and mail)."""
    if not html:
        return ""
    lines = [" ".join(line.split()) for line in _text_of(html).splitlines()]
    return "\n".join(lines).strip()
