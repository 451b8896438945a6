"""Live speech-to-text in Jupyter: ``display(LiveTranscriber())``, press Start, speak."""

from .journal_home import Retention, journals
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
    "Retention",
    "SpeechStarted",
    "Status",
    "Transcriber",
    "Transcript",
    "TranscriptionError",
    "UtteranceEnd",
    "Word",
    "journals",
    "__version__",
]
