"""Helpers for testing code that uses live-transcriber, without a microphone, a model or a key."""

from .scripted import ScriptedEngine, ScriptedStream

__all__ = ["ScriptedEngine", "ScriptedStream"]
