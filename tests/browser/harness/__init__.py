"""Helpers behind the browser-test fixtures (``tests/browser/conftest.py``): a JupyterLab server,
Chromium with a fake microphone, a kernel client, a notebook driver, faults injected in the page,
and test artifacts."""
