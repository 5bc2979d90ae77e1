"""User Markdown becomes safe, useful HTML."""

from __future__ import annotations

from app.markup import plain_excerpt, plain_text, render_markdown, stored


def test_markdown_formatting_is_kept():
    """Bold, italic, lists and links written in Markdown show as such."""
    html = render_markdown("**Verdad** y *justicia*\n\n- uno\n- dos\n\n[web](https://example.org)")
    assert "<strong>Verdad</strong>" in html and "<em>justicia</em>" in html
    assert "<li>uno</li>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_images_are_dropped_so_pages_load_nothing_from_outside():
    """An image in a description would load from another host: it is removed."""
    html = render_markdown("![x](https://tracker.example/pixel.png) text")
    assert "<img" not in html and "tracker.example" not in html
    assert "text" in html


def test_raw_html_and_scripts_are_neutralised():
    """Raw HTML in Markdown cannot run code or restyle the page."""
    html = render_markdown(
        '<script>alert(1)</script><p style="color:red" onclick="x()">hi</p>'
        '<a href="javascript:alert(1)">link</a>'
    )
    assert "<script" not in html and "onclick" not in html and "style=" not in html
    assert "javascript:" not in html
    assert "hi" in html


def test_headings_sit_below_the_page_title():
    """A '# Title' in a description does not compete with the page's own heading."""
    html = render_markdown("# Big\n\n## Smaller")
    assert "<h1>" not in html and "<h3>Big</h3>" in html and "<h4>Smaller</h4>" in html


def test_excerpt_is_plain_text_of_the_stored_html():
    """Lists show a short plain-text excerpt of a description, made from its stored HTML."""
    html = str(render_markdown("**Hola** <b>mundo</b> & " + "a" * 300))
    assert plain_excerpt(html, limit=20) == "Hola mundo & aaaaaa…"
    assert plain_excerpt("") == "" and plain_excerpt(None) == ""


def test_plain_text_keeps_line_breaks_and_reads_entities():
    """Calendars get the stored HTML as text, line by line, with & < > as written."""
    html = str(render_markdown("Primera *línea*\nSegunda & 3 < 4\n\n- uno"))
    assert plain_text(html) == "Primera línea\nSegunda & 3 < 4\n\nuno"
    assert plain_text("") == ""


def test_stored_html_is_shown_as_is_and_only_missing_html_is_rendered():
    """Pages show the stored HTML; given its source, a row stored without HTML is rendered."""
    assert stored("<p><em>x</em></p>") == "<p><em>x</em></p>"
    assert stored("<p>kept</p>", "**other**") == "<p>kept</p>"
    assert stored("", "**now**") == "<p><strong>now</strong></p>"
    assert stored("", "  ") == "" and stored(None) == ""
