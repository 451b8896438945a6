"""The README's animated image: words appearing as someone speaks, from a real browser run.

    python scripts/docs_animation.py [--seconds 14] [--out docs/images/live.gif]

JupyterLab and Debian's Chromium come from the browser tests' fixtures (``tests/browser/conftest.py``),
with the fake microphone playing real read speech: the opening of *A Tale of Two Cities* read by a
person (``two-cities`` of ``benchmarks/corpus.py``, from the PyPI package moonshine-voice), cut at
the end of the last phrase that ends before ``--seconds``. A notebook cell shows ``LiveTranscriber()``
(the offline engine); Start is clicked; Playwright screenshots the cell as fast as it can while the
words come, then Stop, until the last words are final. Each frame keeps the time it was taken, so
the image plays in real time: Pillow makes one palette for all frames and stores each frame's
changed rectangle only. Nothing is written unless the run succeeds. ``bash scripts/docs-images.sh``
runs this after the screenshots.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402  (benchmarks/corpus.py)

SR = 16000
SILENCE_BEFORE = 0.5
SILENCE_AFTER = 8.0  # longer than the wait for the last final words: the file must not loop
MARGIN = 12  # pixels around the cell in each frame
HOLD = 3.0  # seconds the last frame stays before the image loops


class FakeMic(NamedTuple):
    wav: Path
    text: str


def _options() -> dict:
    """Set by main() for the pytest session it starts (which imports this file again)."""
    return json.loads(os.environ["LT_DOCS_ANIMATION"])


def cut_at_phrase(words: list[tuple[str, float, float]], seconds: float) -> tuple[float, str]:
    """Where to end the clip: after the last word that ends a phrase (a comma or full stop) before
    ``seconds``, or after the last word before it. Returns the time and the words spoken up to it."""
    before = [w for w in words if w[2] <= seconds] or words[:1]
    phrase_ends = [i for i, (text, _, _) in enumerate(before) if text.rstrip().endswith((",", ".", ";", "!", "?"))]
    last = phrase_ends[-1] if phrase_ends else len(before) - 1
    return before[last][2], " ".join(text.strip() for text, _, _ in before[: last + 1])


@pytest.fixture(scope="session")
def fake_mic(tmp_path_factory):
    """The first phrases of the real recording, louder, with silence around them (overrides the tests' own)."""
    import numpy as np
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    folder = tmp_path_factory.mktemp("mic")
    wav, _, _ = corpus.build("two-cities", folder)
    audio = decode_audio(str(wav))
    engine = LocalEngine()
    words = [(w.text, w.start, w.end) for w in engine.transcribe(engine.load(), audio, "").words]
    end, text = cut_at_phrase(words, _options()["seconds"])
    clip = audio[: int((end + 0.3) * SR)]
    # The recording is quiet (speech about -35 dBFS): raised so that the level meter moves.
    clip = clip * (0.7 / max(float(np.abs(clip).max()), 1e-6))
    before, after = (np.zeros(int(seconds * SR), np.float32) for seconds in (SILENCE_BEFORE, SILENCE_AFTER))
    padded = folder / "mic.wav"
    corpus._write(padded, np.concatenate([before, clip, after]))
    return FakeMic(padded, text)


def test_words_appearing(open_notebook, fake_mic):
    """Records the frames and writes the image (see the module's docstring)."""
    import wave

    with wave.open(str(fake_mic.wav)) as f:
        speech_ends = f.getnframes() / f.getframerate() - SILENCE_AFTER
    nb = open_notebook("from live_transcriber import LiveTranscriber\n\nw = LiveTranscriber()\nw", name="docs-animation")
    # The notebook alone, as a reader sees it: no file browser beside it.
    nb.command("application:toggle-left-area")
    nb.run_cell(0, timeout=120)
    widget = nb.output(0).locator(".lt-root")
    widget.wait_for()
    cell = nb.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").first
    box = cell.bounding_box()
    assert box is not None
    # Tall enough for the widget once review mode shows under it after Stop; cropped to what was used below.
    clip = {"x": box["x"] - MARGIN, "y": box["y"] - MARGIN, "width": min(box["width"], 960) + 2 * MARGIN, "height": 560}
    frames_dir = Path(tempfile.mkdtemp(prefix="lt-frames-"))
    frames: list[tuple[float, Path]] = []

    def frame() -> None:
        path = frames_dir / f"{len(frames):05d}.png"
        nb.page.screenshot(path=str(path), clip=clip, caret="hide")
        frames.append((time.monotonic(), path))

    def capture_until(deadline: float) -> None:
        while time.monotonic() < deadline:
            frame()

    started = time.monotonic()
    capture_until(started + 1.0)  # the widget before Start
    widget.get_by_role("button", name="Start", exact=True).click()
    clicked = time.monotonic()
    capture_until(clicked + SILENCE_BEFORE + speech_ends + 1.5)
    widget.get_by_role("button", name="Stop", exact=True).click()
    while nb.kernel.eval("w.status") not in ("idle", "error"):
        capture_until(time.monotonic() + 0.5)
    capture_until(time.monotonic() + 1.0)  # the final view, settled
    frame()
    shown = widget.bounding_box()
    assert nb.kernel.eval("w.error") == ""
    transcript = nb.kernel.eval("w.transcript")
    assert transcript.split()[:4] == ["It", "was", "the", "best"], transcript
    # Cropped to the cell's code and the widget as it was at the end (the tallest it has been).
    width = min(clip["width"], int(shown["x"] + shown["width"] - clip["x"] + MARGIN))
    height = min(clip["height"], int(shown["y"] + shown["height"] - clip["y"] + MARGIN))
    write_image(frames, width, height, Path(_options()["out"]))
    shutil.rmtree(frames_dir)
    print(f"\n{len(frames)} frames over {frames[-1][0] - frames[0][0]:.1f} s; said: {fake_mic.text!r}; transcript: {transcript!r}")


def write_image(frames: list[tuple[float, Path]], width: int, height: int, out: Path) -> None:
    """An animated GIF of ``frames`` (time taken, PNG) cropped to ``width`` x ``height`` pixels, in real time."""
    from PIL import Image

    images = [Image.open(path).convert("RGB").crop((0, 0, width, height)) for _, path in frames]
    # One palette for every frame, from a strip of frames spread over the run: the text's colours and
    # the theme's never flicker between frames.
    sample = images[:: max(1, len(images) // 12)]
    strip = Image.new("RGB", (width, height * len(sample)))
    for i, image in enumerate(sample):
        strip.paste(image, (0, i * height))
    palette = strip.quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    indexed = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    ends = [when for when, _ in frames[1:]] + [frames[-1][0] + HOLD]
    durations = [round(max(end - when, 0.02) * 1000) for (when, _), end in zip(frames, ends)]
    out.parent.mkdir(parents=True, exist_ok=True)
    # Pillow stores each frame's changed rectangle only, and adds an unchanged frame's time to the one before.
    indexed[0].save(out, save_all=True, append_images=indexed[1:], duration=durations, loop=0)
    print(f"{out}: {out.stat().st_size / 1e6:.2f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=14.0, help="how much of the recording to play, at most (cut at a phrase's end)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "images" / "live.gif"))
    args = parser.parse_args()
    os.environ["LIVE_TRANSCRIBER_JOURNAL"] = "off"  # the kernel's recordings are not worth keeping here
    os.environ["LT_DOCS_ANIMATION"] = json.dumps({"seconds": args.seconds, "out": str(Path(args.out).resolve())})
    # The browser tests' fixtures, loaded as a plugin under a name of its own.
    spec = importlib.util.spec_from_file_location("browser_fixtures", ROOT / "tests" / "browser" / "conftest.py")
    fixtures = importlib.util.module_from_spec(spec)
    sys.modules["browser_fixtures"] = fixtures
    spec.loader.exec_module(fixtures)
    sys.exit(pytest.main(
        [__file__, "-q", "-s", "-p", "no:cacheprovider", "-o", "addopts=", "--timeout", "600",
         "--override-ini", "python_files=docs_animation.py"],
        plugins=[fixtures],
    ))


if __name__ == "__main__":
    main()
