"""Choosing an engine: Deepgram when a key is available, else the offline engine.

Offline engines, by name: ``"whisper"`` (Whisper alone) and ``"moonshine+whisper"`` (the two-speed
engine: Moonshine shows the words as they are spoken, Whisper writes the final ones).
``"offline"`` (and ``"local"``, its older name) is the offline default, :data:`OFFLINE_DEFAULT`.
Where Moonshine cannot load or cannot serve the options (see
:func:`~live_transcriber.engines.two_speed.moonshine_cannot_serve`), the two-speed engine's place
is taken by the Whisper-only engine and the notice says why.

The choice is said, never silent: :class:`Choice` carries a short ``reason`` the widget shows
beside the engine's label (where the key came from, or that none was found) and a one-sentence
``notice``. An option that belongs to the other engine (``diarize=True`` offline, ``model="nova-3"``
offline, ``beam_size=`` for Deepgram) is a ``TypeError`` naming the option, the engine that runs
and how to get the other.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple, Union

from ..settings import Found, locate_api_key
from .base import Engine

ENGINES = ("auto", "offline", "local", "moonshine+whisper", "whisper", "deepgram")
#: The engine that "offline", "local" and "auto" without a key mean.
OFFLINE_DEFAULT = "whisper"
#: Said when ``engine="auto"`` finds no key.
NO_KEY_NOTICE = "No Deepgram key found (no api_key=, no $DEEPGRAM_API_KEY, no .env file with it): the offline engine runs."
NO_KEY_REASON = "no Deepgram key found"
#: How to get the Deepgram engine, for messages.
HOW_TO_DEEPGRAM = "set DEEPGRAM_API_KEY (in the environment or a .env file) or pass api_key=..."

#: Options only the Deepgram engine takes (DeepgramEngine's parameters but model, language and
#: keyterms, which both take; tests/test_select.py holds these lists to the signatures).
DEEPGRAM_OPTIONS = frozenset({
    "api_key", "base_url", "punctuate", "smart_format", "interim_results", "endpointing", "utterance_end_ms",
    "vad_events", "diarize", "eot_threshold", "eager_eot_threshold", "eot_timeout_ms", "extra", "reconnect_attempts",
})
#: Options only the offline engines take.
OFFLINE_OPTIONS = frozenset({"device", "compute_type", "cpu_threads", "beam_size", "policy", "interims", "encoder_pad"})
#: How a Deepgram model's name starts (nova-3, flux-general-en, enhanced-meeting, ...).
_DEEPGRAM_MODELS = ("nova", "flux", "enhanced")
#: How a faster-whisper model's name starts ("base" is left out: Deepgram has a "base" model too).
_WHISPER_MODELS = ("tiny", "small", "medium", "large", "distil-", "turbo")


class Choice(NamedTuple):
    """The engine made, a few words on why it is the one (shown beside its label; "" when the
    user named it), and a sentence saying so (shown as the label's tooltip, and logged)."""

    engine: Engine
    reason: str = ""
    notice: str = ""


def make_engine(engine: Union[str, Engine] = "auto", **options: Any) -> Choice:
    """Build the engine a :class:`LiveTranscriber` asked for, and say why it is that one."""
    if isinstance(engine, Engine):
        if options:
            raise TypeError(f"Engine options {sorted(options)} cannot be combined with an engine instance.")
        return Choice(engine)
    if engine not in ENGINES:
        raise ValueError(f"Unknown engine {engine!r}: choose one of {', '.join(map(repr, ENGINES))}, or pass an Engine.")
    reason = notice = ""
    key = locate_api_key(options.get("api_key"))
    if engine == "auto":
        engine = "deepgram" if key else "offline"
        reason, notice = (_key_reason(key), _key_notice(key)) if key else (NO_KEY_REASON, NO_KEY_NOTICE)
    elif engine == "deepgram" and key:
        reason, notice = _key_reason(key), _key_notice(key)
    if engine == "deepgram":
        _check_deepgram_options(options)
        from .deepgram import DeepgramEngine

        return Choice(DeepgramEngine(**options), reason, notice)
    _check_offline_options(options, reason)
    if engine in ("offline", "local"):
        engine = OFFLINE_DEFAULT
    if engine == "moonshine+whisper":
        from .two_speed import TwoSpeedEngine, moonshine_cannot_serve

        why_not = moonshine_cannot_serve(options.get("language", "en"))
        if not why_not:
            return Choice(TwoSpeedEngine(**options), reason, notice)
        reason = ", ".join(filter(None, [reason, _short(why_not)]))
        notice = f"{notice} {why_not}".strip()
        options.pop("interims", None)
    from .local_batch import BatchLocalEngine  # Whisper alone, with a batch path for files

    return Choice(BatchLocalEngine(**options), reason, notice)


def _short(why_not: str) -> str:
    """A few words of :func:`~.two_speed.moonshine_cannot_serve`'s sentence, for beside the label."""
    if "knows only English" in why_not:
        return "Moonshine knows only English"
    return why_not.split(" (")[0].split(":")[0]  # "Moonshine is not installed", "Moonshine cannot load here"


def _key_reason(key: Found) -> str:
    return f"key from {key.where}"


def _key_notice(key: Found) -> str:
    return f"Deepgram runs with the key from {key.where}."


def _check_offline_options(options: dict[str, Any], reason: str) -> None:
    why = "no Deepgram key was found" if reason.startswith(NO_KEY_REASON) else "it was asked for by name"
    runs = f"the offline engine runs here ({why})"
    get = f"For Deepgram, {HOW_TO_DEEPGRAM}" + ("." if why.startswith("no") else ", and engine='deepgram'.")
    for name in sorted(options.keys() & DEEPGRAM_OPTIONS):
        raise TypeError(f"{name}= is an option of the Deepgram engine, but {runs}. {get}")
    model = options.get("model")
    if isinstance(model, str) and model.lower().startswith(_DEEPGRAM_MODELS):
        raise TypeError(
            f"model={model!r} is a Deepgram model, but {runs}. {get} For the offline engine, leave model= out "
            "(tiny.en) or name a Whisper model, e.g. 'base.en'."
        )


def _check_deepgram_options(options: dict[str, Any]) -> None:
    runs = "the Deepgram engine runs here"
    get = "For the offline engine, pass engine='offline'" + (
        "" if not os.environ.get("DEEPGRAM_API_KEY") else " (or unset DEEPGRAM_API_KEY and use engine='auto')"
    ) + "."
    for name in sorted(options.keys() & OFFLINE_OPTIONS):
        raise TypeError(f"{name}= is an option of the offline engine, but {runs}. {get}")
    model = options.get("model")
    if isinstance(model, str) and (model.lower().startswith(_WHISPER_MODELS) or model.endswith(".en") or os.sep in model):
        raise TypeError(
            f"model={model!r} is a Whisper model, but {runs}. {get} For Deepgram, leave model= out "
            "(nova-3) or name a Deepgram model, e.g. 'flux-general-en'."
        )
