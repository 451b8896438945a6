"""Make test speech: espeak-ng speaks, sox pads and resamples, ffmpeg encodes.

Used by the tests and by ``benchmarks/``, so it imports nothing from pytest.
Needs the command-line tools ``espeak-ng``, ``sox`` and ``ffmpeg`` (Debian packages of the
same names). Import it as ``speech`` with ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import jiwer

# Plain sentences that tiny.en transcribes from espeak-ng's en-us voice with no errors
# (checked with faster-whisper tiny.en on the whole padded 16 kHz WAV).
SENTENCE_WEATHER = "The weather is warm and sunny today, so we will walk to the park after lunch."
SENTENCE_GARDEN = "The children played football in the garden until it was dark."
SENTENCE_MEETING = "Please send me the report before the meeting on Friday morning."
PARAGRAPH = " ".join([SENTENCE_WEATHER, SENTENCE_GARDEN, SENTENCE_MEETING])
SENTENCES = (SENTENCE_WEATHER, SENTENCE_GARDEN, SENTENCE_MEETING)

FORMATS = ("webm", "ogg", "mp4", "wav")

_FFMPEG_ARGS = {
    # What Chromium's MediaRecorder produces: WebM/Opus; small clusters so a 250 ms slice of
    # the file holds complete blocks, as the browser's timesliced chunks do.
    "webm": ["-c:a", "libopus", "-b:a", "32k", "-cluster_time_limit", "250", "-f", "webm"],
    # Firefox's alternative: Ogg/Opus.
    "ogg": ["-c:a", "libopus", "-b:a", "32k", "-page_duration", "250000", "-f", "ogg"],
    # Safari's: fragmented MP4 with AAC, readable before the recording ends.
    "mp4": [
        "-c:a", "aac", "-b:a", "64k",
        "-movflags", "frag_keyframe+empty_moov+default_base_moof",
        "-frag_duration", "250000", "-f", "mp4",
    ],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
}


def _run(cmd: list[str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise RuntimeError(f"{cmd[0]} not found: install it (apt-get install {cmd[0]})")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")


def synthesize(
    text: str,
    path: str | Path,
    *,
    voice: str = "en-us",
    speed_wpm: int = 150,
    pad_before: float = 0.5,
    pad_after: float = 2.0,
    sample_rate: int = 16000,
) -> Path:
    """Speak ``text`` into a mono 16-bit WAV at ``path``, with silence before and after (seconds)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "espeak.wav"
        _run(["espeak-ng", "-v", voice, "-s", str(speed_wpm), "-w", str(raw), text])
        _run([
            "sox", "-D", str(raw),  # -D: no dither, so every build is the same bytes
            "-r", str(sample_rate), "-c", "1", "-b", "16", "-e", "signed-integer", str(path),
            "pad", str(pad_before), str(pad_after),
        ])
    return path


def encode(wav: str | Path, path: str | Path, fmt: str) -> Path:
    """Encode ``wav`` as ``fmt`` (one of ``FORMATS``) into ``path``, as a browser would record it."""
    if fmt not in _FFMPEG_ARGS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _run([
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-i", str(wav), *_FFMPEG_ARGS[fmt], str(path),
    ])
    return path


def normalize(text: str) -> str:
    """Lowercase, drop punctuation, collapse whitespace: what two transcripts are compared on."""
    text = re.sub(r"[^\w\s']", " ", text.lower()).replace("'", "")
    return " ".join(text.split())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference``, after ``normalize``."""
    reference, hypothesis = normalize(reference), normalize(hypothesis)
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return jiwer.wer(reference, hypothesis)


def first_seen(changes: list[tuple[float, str]], reference: list[str]) -> dict[int, float]:
    """For each word of ``reference`` (normalised words), the first time it was part of a shown text.

    ``changes`` is a list of ``(time, text shown)``; words are matched in order with difflib, so
    recognition errors elsewhere in the text do not shift the match.
    """
    seen: dict[int, float] = {}
    for when, text in changes:
        shown = [normalize(w) for w in text.split() if normalize(w)]
        matcher = difflib.SequenceMatcher(a=reference, b=shown, autojunk=False)
        for block in matcher.get_matching_blocks():
            for i in range(block.a, block.a + block.size):
                seen.setdefault(i, when)
    return seen
