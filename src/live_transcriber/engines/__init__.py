"""Speech-to-text engines. Each turns a recording's container bytes (from the browser, a file or Python) into result events."""

from .base import Engine, EngineStream, EventSink, Keyterms, normalize_keyterms

__all__ = ["Engine", "EngineStream", "EventSink", "Keyterms", "normalize_keyterms"]
