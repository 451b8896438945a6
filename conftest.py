"""For every test run from this checkout, the notebooks' (nbval) included: journals go to a
temporary folder, never into the user's data folder or the checkout, and it is removed at the end.
Set here, before anything makes a transcriber, so that the kernels the tests start inherit it; set
outright, so that a ``LIVE_TRANSCRIBER_JOURNAL`` of the developer's own is not written to either."""

from __future__ import annotations

import os
import shutil
import tempfile

JOURNALS = tempfile.mkdtemp(prefix="live-transcriber-journal-")
os.environ["LIVE_TRANSCRIBER_JOURNAL"] = JOURNALS


def pytest_unconfigure() -> None:
    shutil.rmtree(JOURNALS, ignore_errors=True)
