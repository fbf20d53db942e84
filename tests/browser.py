"""Headless Chromium for the page tests: Debian's ``chromium`` driven by Playwright's Python
package (its own browser download is not used), the network cut; skips, saying which is
missing, without them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from geotrace.present.report import OFFLINE_FLAGS

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = [
    *OFFLINE_FLAGS,
    "--no-sandbox",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--no-default-browser-check",
]


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright's Python package is absent: pip install playwright")
    return sync_playwright


def _chromium() -> str:
    found = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if not found:
        pytest.skip("Debian's chromium is absent: apt-get install -y chromium")
    return found


@contextmanager
def offline_page(requests: list[str], *paths: Path) -> Iterator[Any]:
    """A 1280x800 tab on which only ``paths`` themselves may load; every URL the pages ask
    for is appended to ``requests``."""
    sync_playwright = _playwright()
    executable = _chromium()
    urls = {path.as_uri() for path in paths}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})

            def gate(route: Any) -> None:
                requests.append(route.request.url)
                if route.request.url in urls:
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", gate)
            yield page
        finally:
            browser.close()
