"""Choosing an engine: Deepgram when a key is available, else the offline engine.

Offline engines, by name: ``"whisper"`` (Whisper alone) and ``"moonshine+whisper"`` (the two-speed
engine: Moonshine shows the words as they are spoken, Whisper writes the final ones).
``"offline"`` (and ``"local"``, its older name) is the offline default, :data:`OFFLINE_DEFAULT`.
Where Moonshine cannot load or cannot serve the options (see
:func:`~live_transcriber.engines.two_speed.moonshine_cannot_serve`), the two-speed engine's place
is taken by the Whisper-only engine and the notice says why.
"""

from __future__ import annotations

from typing import Any, Union

from ..settings import find_api_key
from .base import Engine

ENGINES = ("auto", "offline", "local", "moonshine+whisper", "whisper", "deepgram")
#: The engine that "offline", "local" and "auto" without a key mean. Whisper alone, for now: the
#: two-speed engine wins on the model clock, and in the real browser at load 3.6 it showed words
#: 2.4 s sooner but made them final 2 s later; at load 7-13 it fell far behind (benchmarks/README.md,
#: "Step 10"). Set to "moonshine+whisper" when browser_latency.py shows it ahead in a quiet window.
OFFLINE_DEFAULT = "whisper"
NO_KEY_NOTICE = "No DEEPGRAM_API_KEY set: using the offline engine."


def make_engine(engine: Union[str, Engine] = "auto", **options: Any) -> tuple[Engine, str]:
    """Build the engine a :class:`LiveTranscriber` asked for; also return a notice for the user
    (one line), or ""."""
    if isinstance(engine, Engine):
        if options:
            raise TypeError(f"Engine options {sorted(options)} cannot be combined with an engine instance.")
        return engine, ""
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}: choose one of {', '.join(map(repr, ENGINES))}, or pass an Engine.")
    notice = ""
    if engine == "auto":
        engine = "deepgram" if find_api_key(options.get("api_key")) else "offline"
        if engine == "offline":
            notice = NO_KEY_NOTICE
            options = {k: v for k, v in options.items() if k not in ("api_key", "base_url")}
    if engine == "deepgram":
        from .deepgram import DeepgramEngine

        return DeepgramEngine(**options), notice
    if engine in ("offline", "local"):
        engine = OFFLINE_DEFAULT
    if engine == "moonshine+whisper":
        from .two_speed import TwoSpeedEngine, moonshine_cannot_serve

        why_not = moonshine_cannot_serve(options.get("language", "en"))
        if not why_not:
            return TwoSpeedEngine(**options), notice
        notice = f"{notice} {why_not}".strip()
        options.pop("interims", None)
    from .local_batch import BatchLocalEngine  # Whisper alone, with a batch path for files

    return BatchLocalEngine(**options), notice
