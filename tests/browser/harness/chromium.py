"""Debian's Chromium under Playwright (never a Playwright download), its fake microphone playing a WAV file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from playwright.sync_api import Browser, Playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class FakeMic(NamedTuple):
    """What Chromium's fake microphone plays: ``text`` spoken, then 6 s of silence, in a loop.

    Every getUserMedia call starts the file from its beginning (checked with Chromium 156), so
    a recording started by pressing Start hears the whole text first.
    """

    wav: Path
    text: str


def launch(playwright: Playwright, microphone: Path, *, refuse_microphone: bool = False) -> Browser:
    """Headless Chromium whose microphone plays ``microphone`` (a WAV file); no network use of its own.

    With ``refuse_microphone``, the browser answers every permission prompt with no, as a user who
    blocks the microphone does: getUserMedia then fails with NotAllowedError on any page not granted
    it beforehand (``--use-fake-ui-for-media-stream``, which accepts every prompt, is left out:
    with it Chromium grants the microphone even where a site's permission says denied).
    """
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: apt-get install chromium (or set CHROMIUM)")
    prompts = "--deny-permission-prompts" if refuse_microphone else "--use-fake-ui-for-media-stream"
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            prompts,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}",
            "--autoplay-policy=no-user-gesture-required",
            "--no-sandbox",  # needed as root
            "--disable-gpu",
            # The machine has no network: keep Chromium from trying.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    )
