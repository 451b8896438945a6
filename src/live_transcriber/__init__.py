"""Live speech-to-text in Jupyter: ``display(LiveTranscriber())``, press Start, speak."""

from .results import EngineError, Metadata, Result, SpeechStarted, Status, Transcript, UtteranceEnd, Word
from .transcriber import Recording, Transcriber, TranscriptionError
from .widget import LiveTranscriber

__version__ = "0.1.0"

__all__ = [
    "EngineError",
    "LiveTranscriber",
    "Metadata",
    "Recording",
    "Result",
    "SpeechStarted",
    "Status",
    "Transcriber",
    "Transcript",
    "TranscriptionError",
    "UtteranceEnd",
    "Word",
    "__version__",
]
