"""Helpers for testing code that uses live-transcriber, without a microphone, a model, a network or
an API key.

- :class:`ScriptedEngine`: an engine whose results a test says (:mod:`.scripted`), with
  :func:`final` to make its final results and :class:`FakeFrontEnd` to see what a widget is told.
- :mod:`.deepgram_server`: a local Deepgram-protocol server (``/v1/listen``) that answers from a
  script of words and injects faults on demand. (Not imported here, so that ``python -m
  live_transcriber.testing.deepgram_server`` runs it cleanly.)
"""

from .scripted import FakeFrontEnd, ScriptedEngine, ScriptedStream, final

__all__ = ["FakeFrontEnd", "ScriptedEngine", "ScriptedStream", "final"]
