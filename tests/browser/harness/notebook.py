"""Notebooks for browser tests: written into the server's root, opened in a page, run through the app's commands."""

from __future__ import annotations

import json
import urllib.error
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

from .kernel import Kernel, KernelError, error_text
from .lab import JupyterLab

# JavaScript run in the page. window.jupyterapp is there thanks to --LabApp.expose_app_in_browser
# (and --JupyterNotebookApp.expose_app_in_browser in Notebook 7, whose shell has the same API).
_KERNEL_IDLE = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return false;
  const panel = Array.from(app.shell.widgets('main')).find((w) => w.context && w.context.path === path);
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}
"""

# Runs one cell (as Shift+Enter would, without moving on) or all of them, through the app's own
# commands; their promise settles when the cells have finished. Returns every cell's outputs.
_RUN = """
async ([path, index, timeoutMs]) => {
  const app = window.jupyterapp;
  const panel = Array.from(app.shell.widgets('main')).find((w) => w.context && w.context.path === path);
  app.shell.activateById(panel.id);
  const notebook = panel.content;
  let command = 'notebook:run-all-cells';
  if (index !== null) {
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    command = 'notebook:run-cell';
  }
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cells still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([app.commands.execute(command), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return notebook.widgets.map((cell) => cell.model.toJSON().outputs || []);
}
"""


_START = """
([path, index]) => {
  const app = window.jupyterapp;
  const panel = Array.from(app.shell.widgets('main')).find((w) => w.context && w.context.path === path);
  app.shell.activateById(panel.id);
  panel.content.activeCellIndex = index;
  panel.content.deselectAll();
  void app.commands.execute('notebook:run-cell');
  return null;
}
"""

_COMMAND = """
async ([path, name, args]) => {
  const app = window.jupyterapp;
  const panel = Array.from(app.shell.widgets('main')).find((w) => w.context && w.context.path === path);
  app.shell.activateById(panel.id);
  await app.commands.execute(name, args);
  return null;
}
"""


@dataclass
class Notebook:
    """A notebook open in JupyterLab in ``page``, with its kernel idle and reachable."""

    page: Page
    path: str
    session_id: str
    kernel: Kernel

    def output(self, index: int) -> Locator:
        """The output area of cell ``index``, to find a widget's controls in, e.g.
        ``nb.output(0).get_by_role("button", name="Start", exact=True)``."""
        cell = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)
        return cell.locator(".jp-OutputArea")

    def run_cell(self, index: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Run cell ``index`` as Shift+Enter would, wait until it finished; return its nbformat outputs.

        Raises ``KernelError`` if the cell raised.
        """
        return self._run(index, timeout)[index]

    def start_cell(self, index: int) -> None:
        """Start running cell ``index`` and return at once (the cell goes on in the kernel)."""
        self.page.evaluate(_START, [self.path, index])

    def run_all(self, timeout: float = 120.0) -> list[list[dict[str, Any]]]:
        """Run every cell (Run > Run All Cells) and wait for them; return each cell's outputs."""
        return self._run(None, timeout)

    def _run(self, index: int | None, timeout: float) -> list[list[dict[str, Any]]]:
        outputs = self.page.evaluate(_RUN, [self.path, index, int(timeout * 1000)])
        for cell_outputs in outputs if index is None else [outputs[index]]:
            for output in cell_outputs:
                if output["output_type"] == "error":
                    raise KernelError(f"cell raised in {self.path}:\n{error_text(output)}")
        return outputs

    def command(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Run one of the app's commands (e.g. ``docmanager:save``) on this notebook, as a menu would."""
        return self.page.evaluate(_COMMAND, [self.path, name, args or {}])

    def save(self) -> None:
        """Save the notebook, outputs included (a reloaded page shows its widgets from them)."""
        self.command("docmanager:save")

    def reload(self) -> None:
        """Reload the page, as a user pressing F5 would, and wait until the notebook's kernel is idle again."""
        self.page.reload(wait_until="domcontentloaded")
        self.wait_until_idle()

    def wait_until_idle(self, timeout: float = 60.0) -> None:
        """Wait until this page shows the notebook's kernel connected and idle."""
        self.page.wait_for_function(_KERNEL_IDLE, arg=self.path, timeout=timeout * 1000, polling=200)

    @staticmethod
    def text(outputs: list[dict[str, Any]]) -> str:
        """The plain text of a cell's outputs (streams and text/plain results), concatenated."""
        parts = []
        for output in outputs:
            if output["output_type"] == "stream":
                parts.append("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
            elif "data" in output and "text/plain" in output["data"]:
                data = output["data"]["text/plain"]
                parts.append("".join(data) if isinstance(data, list) else data)
        return "".join(parts)


def open_notebook(lab: JupyterLab, page: Page, cells: tuple[str, ...], name: str, ui: str = "lab") -> Notebook:
    """Write a notebook of code ``cells`` as ``<name>-<random>.ipynb``, open it in ``page`` (JupyterLab,
    or Notebook 7 with ``ui="notebook"``) and wait until its kernel is idle. Nothing runs yet."""
    unique = uuid.uuid4().hex[:6]
    path = f"{name}-{unique}.ipynb"
    _write(lab.root_dir / path, cells)
    # A workspace of its own, so JupyterLab does not reopen (and restart kernels for) the
    # notebooks of earlier tests.
    url = lab.notebook_url(path) if ui == "notebook" else lab.lab_url(path, workspace=f"test-{unique}")
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=60_000, polling=200)
    sessions = [s for s in lab.api("GET", "/api/sessions") if s["path"] == path]
    assert sessions, f"JupyterLab opened {path} but the server has no session for it"
    session = sessions[0]
    return Notebook(page, path, session["id"], Kernel(lab, session["kernel"]["id"]))


def open_again(lab: JupyterLab, page: Page, notebook: Notebook) -> Notebook:
    """Open a notebook that is already open (and saved) in another page, as a second browser tab
    would: the same session and kernel, the widgets restored from the saved outputs."""
    page.goto(lab.lab_url(notebook.path, workspace=f"again-{uuid.uuid4().hex[:6]}"), wait_until="domcontentloaded")
    page.wait_for_function(_KERNEL_IDLE, arg=notebook.path, timeout=60_000, polling=200)
    return Notebook(page, notebook.path, notebook.session_id, notebook.kernel)


def shut_down(lab: JupyterLab, notebook: Notebook) -> None:
    """Close the kernel client and delete the notebook's session, which shuts its kernel down."""
    notebook.kernel.close()
    try:
        lab.api("DELETE", f"/api/sessions/{notebook.session_id}")
    except (OSError, urllib.error.URLError):
        pass  # already gone


def _write(path: Path, cells: tuple[str, ...]) -> None:
    path.write_text(json.dumps({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": {},
             "execution_count": None, "outputs": [], "source": source}
            for source in cells
        ],
    }, indent=1))
