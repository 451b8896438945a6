"""Keyterm benchmark: how often the offline engine gets rare names right, with and without keyterms.

    python benchmarks/keyterms.py [--model tiny.en] [--paths live batch] [--keyterms none names other]
                                  [--out benchmarks/out/keyterms.json]

The recording: twelve sentences with names, jargon and product words a speech model rarely saw
("Siobhan Nguyen", "Kubernetes", "Deepgram", "Ptolemy", "Qdrant", ...), between eight plain
sentences without any, spoken by espeak-ng (en-us, ``tests/speech.py``), about 80 s.

Each path runs with three lists of keyterms:

- ``none``: no keyterms.
- ``names``: the 14 names and words spoken in the recording.
- ``other``: 14 names and words of the same kind that are *not* in the recording (what a list
  kept for a whole team looks like in a meeting about something else): the cost of keyterms
  that do not apply.

Paths:

- ``live``: the offline engine's live path (:class:`~live_transcriber.streaming.StreamingPolicy`
  with Silero VAD and ``LocalEngine.transcribe``, as ``LocalStream`` runs them), fed 250 ms
  slices and running each recognition as soon as it is due: an engine that keeps up. No
  latency is measured (``benchmarks/streaming.py`` does that).
- ``batch``: ``transcribe_file``'s path (``BatchLocalEngine.transcribe_whole``: faster-whisper's
  own transcription with its VAD).

Figures: **names right**: reference names (a keyterm spoken once each) whose every word appears,
in order, in the final text (case and punctuation ignored); **name WER**: word error rate on the
words of the names alone (each reference word aligned to the hypothesis with difflib; a name
word counts as right when it is aligned to the same word; insertions are not counted);
**WER**: over the whole recording; **other wrong**: the same as name WER for the words outside
names (do keyterms cost other words?); **inserted**: whole keyterms written more often than
spoken (a keyterm heard where it was not said).

Deepgram's keyterms cannot be measured here (no network); the project's Deepgram test server
only simulates the protocol.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import speech  # noqa: E402  (tests/speech.py)

#: (sentence, the names in it). Names that espeak-ng pronounces recognisably in English.
NAMED = [
    ("I had lunch with Siobhan Nguyen yesterday.", ["Siobhan Nguyen"]),
    ("We run our services on Kubernetes in production.", ["Kubernetes"]),
    ("The live captions come from Deepgram when a key is set.", ["Deepgram"]),
    ("Ptolemy wrote about the stars in Alexandria.", ["Ptolemy"]),
    ("Please ask Aoife Gallagher to review the pull request.", ["Aoife Gallagher"]),
    ("The new dashboard is built with Grafana and Prometheus.", ["Grafana", "Prometheus"]),
    ("Our intern Xiomara Quispe presented the results.", ["Xiomara Quispe"]),
    ("We store the embeddings in Qdrant for retrieval.", ["Qdrant"]),
    ("The meeting with Saoirse Ronan moved to Thursday.", ["Saoirse Ronan"]),
    ("Try the anywidget template for the notebook.", ["anywidget"]),
    ("Tell Thibault Courtois the build passed.", ["Thibault Courtois"]),
    ("The summary goes to Wojciech Szczepanski and to JupyterHub users.", ["Wojciech Szczepanski", "JupyterHub"]),
]
PLAIN = [
    "The weather is warm and sunny today, so we will walk to the park after lunch.",
    "The children played football in the garden until it was dark.",
    "Please send me the report before the meeting on Friday morning.",
    "Every morning my neighbor opens the kitchen window and starts to cook breakfast.",
    "The train to the coast leaves the station early in the morning.",
    "Outside the window the fields are green and the sky is clear.",
    "We usually say yes, because the food is much better than anything we can buy in the shop.",
    "When the train stops at last, the doors open and cold wind blows in from the water.",
]
NAMES = [name for _, names in NAMED for name in names]
OTHER = [
    "Tadhg O'Sullivan", "Terraform", "Cloudflare", "Hypatia", "Nkechi Okafor", "Elasticsearch",
    "Ljubljana", "Pinecone", "Mireille Dubois", "Snowflake", "Xerxes", "Kafka", "Bartholomew",
    "Ansible",
]
KEYTERMS = {"none": [], "names": NAMES, "other": OTHER}
PATHS = ("live", "batch")


def script() -> str:
    """The recording's text: the named sentences, a plain one after each of the first eight."""
    parts: list[str] = []
    for i, (sentence, _) in enumerate(NAMED):
        parts.append(sentence)
        if i < len(PLAIN):
            parts.append(PLAIN[i])
    return " ".join(parts)


def words(text: str) -> list[str]:
    return speech.normalize(text).split()


def contains(hypothesis: list[str], phrase: list[str]) -> int:
    """How many times ``phrase`` occurs in ``hypothesis`` (word lists)."""
    n = len(phrase)
    return sum(hypothesis[i : i + n] == phrase for i in range(len(hypothesis) - n + 1))


def score(reference: str, hypothesis: str, keyterms: list[str]) -> dict:
    ref, hyp = words(reference), words(hypothesis)
    name_words = set()  # indices of reference words inside a name
    for name in NAMES:
        phrase = words(name)
        for i in range(len(ref) - len(phrase) + 1):
            if ref[i : i + len(phrase)] == phrase:
                name_words.update(range(i, i + len(phrase)))
    right = set()
    for block in difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False).get_matching_blocks():
        right.update(range(block.a, block.a + block.size))
    names_right = sum(contains(hyp, words(name)) >= 1 for name in NAMES)
    inserted = sum(max(0, contains(hyp, words(term)) - contains(ref, words(term))) for term in keyterms)
    other_words = set(range(len(ref))) - name_words
    return {
        "names_right": names_right,
        "names": len(NAMES),
        "name_wer": round(len(name_words - right) / len(name_words), 3),
        "wer": round(speech.wer(reference, hypothesis), 3),
        "other_wrong": round(len(other_words - right) / len(other_words), 3),
        "inserted": inserted,
    }


def run_live(engine, model, audio, keyterms: list[str]) -> str:
    """The live path's recognition loop (as ``LocalStream._recognise``) on 250 ms slices."""
    from live_transcriber.engines.base import normalize_keyterms
    from live_transcriber.engines.local import SileroDetector
    from live_transcriber.results import Result
    from live_transcriber.streaming import StreamingPolicy

    terms = normalize_keyterms(keyterms)
    policy = StreamingPolicy(engine.policy, voice=SileroDetector())

    def transcribe(window, prompt):
        return engine.transcribe(model, window, prompt, keyterms=terms, language=engine.language).words

    events = []
    step = 4000
    for i in range(0, len(audio), step):
        policy.add_audio(audio[i : i + step])
        if policy.ready():
            events += policy.step(transcribe)
    events += policy.finish(transcribe)
    return " ".join(e.text for e in events if isinstance(e, Result) and e.is_final and e.text)


def run_batch(engine, model, audio, keyterms: list[str]) -> str:
    from live_transcriber.engines.base import normalize_keyterms

    segments = engine.transcribe_whole(model, audio, normalize_keyterms(keyterms))
    return " ".join(s.text.strip() for s in segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny.en", help="model name or folder (default tiny.en)")
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--keyterms", nargs="+", choices=list(KEYTERMS), default=list(KEYTERMS), help="which lists (default: all)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "keyterms.json"))
    args = parser.parse_args()

    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local_batch import BatchLocalEngine

    text = script()
    out_dir = Path(args.out).parent
    wav = speech.synthesize(text, out_dir / "audio" / "keyterms.wav")
    audio = decode_audio(str(wav))
    engine = BatchLocalEngine(args.model)
    model = engine.load()
    rows = []
    for path in args.paths:
        for label in args.keyterms:
            keyterms = KEYTERMS[label]
            started = time.monotonic()
            hypothesis = (run_live if path == "live" else run_batch)(engine, model, audio, keyterms)
            row = {"path": path, "keyterms": label, **score(text, hypothesis, keyterms),
                   "seconds": round(time.monotonic() - started, 1), "text": hypothesis}
            rows.append(row)
            print(f"{path:5} {label:5} names {row['names_right']:2}/{row['names']} name WER {row['name_wer']:.2f} "
                  f"WER {row['wer']:.3f} other wrong {row['other_wrong']:.3f} inserted {row['inserted']} ({row['seconds']} s)",
                  flush=True)
    result = {
        "model": args.model,
        "audio_seconds": round(len(audio) / 16000, 1),
        "machine": {"cpus": os.cpu_count(), "load": os.getloadavg(), "python": platform.python_version()},
        "reference": text,
        "rows": rows,
    }
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
