"""The browser editor's bundle: built from the committed sources and versions (what a rebuild
gives is what is served), free of what the site's CSP forbids, and its protocol module
checked against yjs itself by its node self-check (two documents through a relay, offline
edits, lost acknowledgements, retries)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "static" / "dist" / "collab-editor.min.js"

# Not a skip: without Node and the npm packages this module fails (`make test` installs them).
assert shutil.which("node") and (ROOT / "node_modules" / "esbuild").is_dir(), (
    "install Node and run `npm ci` (as `make test` does)"
)


def test_the_served_bundle_is_what_the_sources_build(tmp_path):
    out = tmp_path / "editor.js"
    subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "esbuild"), "static/js/src/collab-editor.js",
         "--bundle", "--minify", "--format=iife", "--target=es2017", f"--outfile={out}"],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.read_bytes() == BUNDLE.read_bytes(), "run `make bundles` and commit static/dist"


def test_the_bundle_needs_nothing_the_csp_forbids():
    code = BUNDLE.read_text(encoding="utf-8")
    for forbidden in ("eval(", "new Function", 'setAttribute("style"', "setAttribute('style'"):
        assert forbidden not in code, forbidden


def test_the_client_protocol_self_check_passes():
    done = subprocess.run(
        ["node", "tests/js/collab_editor_selfcheck.mjs"],
        cwd=ROOT, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout.decode()[-2000:] + done.stderr.decode()[-2000:]
