"""User Markdown becomes safe, useful HTML."""

from __future__ import annotations

from app.markup import plain_excerpt, render_markdown


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


def test_excerpt_is_plain_text():
    """Lists show a short plain-text excerpt of a description."""
    assert plain_excerpt("**Hola** <b>mundo</b> " + "a" * 300, limit=20) == "Hola mundo aaaaaaaa…"
    assert plain_excerpt("") == ""
