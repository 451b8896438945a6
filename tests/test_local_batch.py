"""The offline engine's batch path on real speech: transcribe_file at batch speed, the same events
as streaming, interruption mid-file with the real engine."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest
import speech

from live_transcriber import Result, Status, Transcriber
from live_transcriber.engines.local_batch import BatchLocalEngine, BatchStream

os.environ.setdefault("HF_HUB_OFFLINE", "1")

WER_BOUND = 0.15


@pytest.fixture(scope="module")
def paragraph(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    wav = speech.synthesize(speech.PARAGRAPH, folder / "paragraph.wav", pad_after=1.5)
    return speech.encode(wav, folder / "paragraph.mp4", "mp4")


def test_repeated_speech_is_kept_however_well_its_window_compresses(tmp_path):
    """Three times the same paragraph in one 30 s window: its first two were once dropped as a loop."""
    one = speech.synthesize(speech.PARAGRAPH, tmp_path / "one.wav", pad_after=1.5)
    three = tmp_path / "three.wav"
    subprocess.run(["sox", str(one), str(one), str(one), str(three)], check=True)
    t = Transcriber("local")
    text = t.transcribe_file(speech.encode(three, tmp_path / "three.ogg", "ogg"), timeout=300, progress=False)
    assert speech.wer(" ".join([speech.PARAGRAPH] * 3), text) <= WER_BOUND, text
    t.close()


@pytest.mark.timeout(120)
def test_a_file_goes_through_faster_whispers_batch_path_with_the_events_of_a_stream(paragraph):
    t = Transcriber("local")
    assert isinstance(t.engine, BatchLocalEngine)
    streams = []
    opened = t.engine.open_whole
    t.engine.open_whole = lambda *a, **k: streams.append(opened(*a, **k)) or streams[-1]  # type: ignore[method-assign]
    seen: list[Result] = []
    t.on_result(seen.append)
    text = t.transcribe_file(paragraph, timeout=90, progress=False)
    assert len(streams) == 1 and isinstance(streams[0], BatchStream)
    assert speech.wer(speech.PARAGRAPH, text) <= WER_BOUND, text
    assert t.transcript == text and t.status is Status.IDLE and t.error == ""
    assert all(r.is_final for r in seen) and seen[-1].speech_final
    words = [w for r in t.finals for w in r.words]
    assert len(words) == len(text.split())
    assert words[0].start >= 0.3  # the file starts with 0.5 s of silence
    assert all(w.start <= w.end for w in words) and all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert all(0 < w.confidence <= 1 for w in words)
    assert bytes(t.recordings[0].data) == paragraph.read_bytes()
    t.close()


@pytest.mark.timeout(300)
def test_interrupting_the_real_engine_mid_file_keeps_the_words_so_far(paragraph, stop_button):
    t = Transcriber("local")
    released = threading.Event()
    transcribe_whole = t.engine.transcribe_whole

    def stop_after_the_first_sentence(model, audio, keyterms=()):
        segments = transcribe_whole(model, audio, keyterms)
        yield next(segments)
        yield next(segments)  # the first sentence is emitted once the second one is known
        stop_button()  # while the engine is still at work
        released.wait(60)
        yield from segments

    t.engine.transcribe_whole = stop_after_the_first_sentence  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        t.transcribe_file(paragraph, progress=False)
    released.set()
    assert t.status is Status.IDLE and t.wait(0)
    kept = t.transcript
    assert speech.wer(speech.SENTENCE_WEATHER, kept) <= WER_BOUND, kept
    assert "interrupted after" in t.recordings[0].error and "interrupted after" in t.status_detail
    t.engine.transcribe_whole = transcribe_whole  # type: ignore[method-assign]
    again = t.transcribe_file(paragraph, timeout=150, progress=False)
    assert speech.wer(speech.PARAGRAPH, again) <= WER_BOUND
    assert t.transcript == f"{kept} {again}" and t.recordings[1].offset > 0
    t.close()
