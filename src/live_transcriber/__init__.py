"""Live speech-to-text in Jupyter: ``display(LiveTranscriber())``, press Start, speak."""

from .results import Metadata, Result, SpeechStarted, Transcript, UtteranceEnd, Word
from .widget import LiveTranscriber

__version__ = "0.1.0"

__all__ = ["LiveTranscriber", "Metadata", "Result", "SpeechStarted", "Transcript", "UtteranceEnd", "Word", "__version__"]
