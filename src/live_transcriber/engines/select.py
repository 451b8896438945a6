"""Choosing an engine: Deepgram when a key is available, else the offline engine."""

from __future__ import annotations

from typing import Any, Union

from ..settings import find_api_key
from .base import Engine

ENGINES = ("auto", "local", "deepgram")
NO_KEY_NOTICE = "No DEEPGRAM_API_KEY set: using the offline engine."


def make_engine(engine: Union[str, Engine] = "auto", **options: Any) -> tuple[Engine, str]:
    """Build the engine a :class:`LiveTranscriber` asked for; also return a notice for the user, or ""."""
    if isinstance(engine, Engine):
        if options:
            raise TypeError(f"Engine options {sorted(options)} cannot be combined with an engine instance.")
        return engine, ""
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}: choose one of {', '.join(map(repr, ENGINES))}, or pass an Engine.")
    notice = ""
    if engine == "auto":
        engine = "deepgram" if find_api_key(options.get("api_key")) else "local"
        if engine == "local":
            notice = NO_KEY_NOTICE
            options = {k: v for k, v in options.items() if k not in ("api_key", "base_url")}
    if engine == "deepgram":
        from .deepgram import DeepgramEngine

        return DeepgramEngine(**options), notice
    from .local_batch import BatchLocalEngine  # the offline engine, with a batch path for files

    return BatchLocalEngine(**options), notice
