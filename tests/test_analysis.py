"""The transcript as a table (live_transcriber.analysis): rows, columns, names, corrections, pandas."""

from __future__ import annotations

import builtins
import sys

import pytest

from live_transcriber import Transcriber
from live_transcriber.analysis import COLUMNS, rows, to_dataframe
from live_transcriber.edits import edit_word
from live_transcriber.results import Result, Word
from live_transcriber.testing import ScriptedEngine

pd = pytest.importorskip("pandas")


def result(text, start, step, speaker=None, speech_final=True, utterance=None, recording=0):
    words = tuple(
        Word(t.lower().strip(".,"), start + i * step, start + (i + 1) * step, 0.5 + i / 10, t, speaker) for i, t in enumerate(text.split())
    )
    return Result(text, start, words[-1].end, words, True, speech_final, utterance=utterance, recording=recording)


TALK = [
    result("Hello there.", 0.0, 0.5, speaker=0, utterance=0),
    result("Hi Ana, how are you?", 2.0, 0.25, speaker=1, utterance=1),
    result("Fine.", 4.0, 1.0, speaker=0, utterance=2),
]


def test_one_row_per_word_with_every_column():
    table = rows(TALK, speaker_names={0: "Ana"})
    assert len(table) == 8 and all(list(row) == list(COLUMNS["words"]) for row in table)
    assert table[2] == {
        "start": 2.0, "end": 2.25, "duration": 0.25, "text": "Hi", "word": "hi", "speaker": "Speaker 2",
        "speaker_id": 1, "confidence": 0.5, "recording": 0, "utterance": 1, "result": 1, "edited": False,
    }
    assert table[0]["speaker"] == "Ana"


def test_one_row_per_utterance_with_its_rate_and_mean_confidence():
    table = rows(TALK, "utterances", speaker_names={1: "Ben"})
    assert [r["text"] for r in table] == ["Hello there.", "Hi Ana, how are you?", "Fine."]
    assert [r["speaker"] for r in table] == ["Speaker 1", "Ben", "Speaker 1"]
    second = table[1]
    assert (second["start"], second["end"], second["duration"], second["words"]) == (2.0, 3.25, 1.25, 5)
    assert second["words_per_minute"] == pytest.approx(5 / 1.25 * 60)
    assert second["confidence"] == pytest.approx((0.5 + 0.6 + 0.7 + 0.8 + 0.9) / 5)


def test_a_corrected_word_is_marked_and_its_utterance_too():
    fixed = [TALK[0], edit_word(TALK[1], 1, "Anna,"), TALK[2]]
    words = rows(fixed)
    assert [r["text"] for r in words if r["edited"]] == ["Anna,"]
    assert [r["edited"] for r in rows(fixed, "utterances")] == [False, True, False]
    assert words[3]["confidence"] == 1.0
    from live_transcriber.edits import edit_utterance

    [who] = edit_utterance([TALK[0]], speaker=1)
    assert who.edited and not any(r["edited"] for r in rows([who]))  # a speaker said is no word corrected


def test_results_without_utterance_numbers_are_grouped_by_the_utterance_rule():
    loose = [result("one two", 0.0, 0.5, speech_final=False), result("three", 1.0, 0.5), result("four", 9.0, 0.5)]
    assert [r["text"] for r in rows(loose, "utterances")] == ["one two three", "four"]


def test_the_dataframe_has_the_columns_and_types_for_the_next_plots():
    words = to_dataframe(TALK, speaker_names={0: "Ana", 1: "Ben"})
    assert list(words.columns) == list(COLUMNS["words"])
    assert str(words.speaker_id.dtype) == "Int64" and words.start.dtype == float and words.edited.dtype == bool
    assert words.groupby(words.start // 2).size().tolist() == [2, 5, 1]  # words per 2 s
    utterances = to_dataframe(TALK, "utterances", speaker_names={0: "Ana", 1: "Ben"})
    assert utterances.groupby("speaker").duration.sum().to_dict() == {"Ana": 2.0, "Ben": 1.25}
    empty = to_dataframe([], "utterances")
    assert list(empty.columns) == list(COLUMNS["utterances"]) and len(empty) == 0


def test_the_transcriber_gives_names_and_corrections_to_its_dataframe():
    engine = ScriptedEngine()
    t = Transcriber(engine)
    engine.say(t, TALK[0])
    t.edit_word(0, 1, "world.")
    t.speakers = {0: "Ana"}
    table = t.to_dataframe()
    assert table.text.tolist() == ["Hello", "world."] and table.speaker.tolist() == ["Ana", "Ana"]
    assert table.edited.tolist() == [False, True]
    with pytest.raises(ValueError, match="level must be 'words' or 'utterances'"):
        t.to_dataframe("sentences")
    t.close()


def test_without_pandas_the_error_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "pandas")
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"pip install 'jupyter-live-transcriber\[pandas\]'"):
        to_dataframe(TALK)
