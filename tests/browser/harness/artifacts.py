"""What browser tests leave in ``tests/.artifacts/`` (git-ignored): screenshots, and for a failed
test its page, browser console and server log.

The docs' images in ``docs/images/`` are screenshots from passing tests. Tests never write there
unless asked: ``bash scripts/docs-images.sh`` runs those tests with ``UPDATE_DOCS_IMAGES=1``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "images"
UPDATE_DOCS = "UPDATE_DOCS_IMAGES"

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


def record_report(item: pytest.Item, report: pytest.TestReport) -> None:
    """Keep each phase's report on the test (from the ``pytest_runtest_makereport`` hook)."""
    item.stash.setdefault(_reports, {})[report.when] = report


def failed(node: pytest.Item) -> bool:
    """Whether any phase of the test reported so far has failed."""
    return any(r.failed for r in node.stash.get(_reports, {}).values())


def artifact_name(node: pytest.Item) -> str:
    """The test's name, safe as a file name (parametrised ids included)."""
    return re.sub(r"[^\w.-]+", "_", node.nodeid.split("::", 1)[-1])


class FailureArtifacts:
    """Keeps a page's console; if the test failed, saves a screenshot, the console and the server log."""

    def __init__(self, page: Page, node: pytest.Item, server_log: Path) -> None:
        self.page = page
        self.node = node
        self.server_log = server_log
        self.console: list[str] = []
        self.saved = False
        page.on("console", lambda m: self.console.append(f"[{m.type}] {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"[pageerror] {e}"))

    def save_if_failed(self) -> None:
        """Once, and only for a failed test (call it before the kernel goes, so its log is whole)."""
        if self.saved or not failed(self.node):
            return
        self.saved = True
        ARTIFACTS.mkdir(exist_ok=True)
        name = artifact_name(self.node)
        try:
            self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            self.console.append(f"[screenshot failed] {exc}")
        (ARTIFACTS / f"{name}.console.log").write_text("\n".join(self.console) + "\n")
        shutil.copy(self.server_log, ARTIFACTS / f"{name}.server.log")


class Screenshots:
    """``screenshot(target, name, docs=None, **options)`` saves ``tests/.artifacts/<name>.png``.

    ``target`` is a Playwright ``Page`` or ``Locator``; ``options`` go to its ``screenshot``.
    With ``docs="file.png"`` and ``UPDATE_DOCS_IMAGES=1`` in the environment, the image also
    replaces ``docs/images/file.png`` once the test has passed.
    """

    def __init__(self, node: pytest.Item) -> None:
        self.node = node
        self.for_docs: dict[Path, str] = {}

    def __call__(self, target: Page | Locator, name: str, docs: str | None = None, **options) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        target.screenshot(path=str(path), **options)
        if docs:
            self.for_docs[path] = docs
        return path

    def publish(self) -> None:
        """After the test: copy the docs' images, if asked for and the test passed."""
        if os.environ.get(UPDATE_DOCS) != "1" or failed(self.node):
            return
        for path, docs in self.for_docs.items():
            shutil.copy(path, DOCS / docs)
