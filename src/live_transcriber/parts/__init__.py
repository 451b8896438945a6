"""The parts a :class:`~live_transcriber.Transcriber` delegates to, one job each.

The transcriber holds the lock and calls them with it held; they never take it and never import
the transcriber: each is given what it needs (the others it calls, and callables) when it is made.
"""
