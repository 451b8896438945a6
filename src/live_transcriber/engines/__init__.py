"""Speech-to-text engines. Each turns a browser container stream into results events."""

from .base import Engine, EngineStream, EventSink, Keyterms, normalize_keyterms

__all__ = ["Engine", "EngineStream", "EventSink", "Keyterms", "normalize_keyterms"]
