"""Helpers for testing code that uses live-transcriber, without a network or an API key.

:mod:`.deepgram_server`: a local Deepgram-protocol server (``/v1/listen``) that answers from a
script of words and injects faults on demand. (Not imported here, so that ``python -m
live_transcriber.testing.deepgram_server`` runs it cleanly.)
"""
