import json
import random
import re
from dataclasses import replace
from itertools import pairwise
from typing import NamedTuple

import pytest

from live_transcriber.exports import (
    FORMATS,
    Document,
    Utterance,
    from_json,
    read_json,
    to_json,
    to_srt,
    to_text,
    to_vtt,
    utterances,
)
from live_transcriber.results import Bookmark, Original, Result, Word


def word(text, start, end, speaker=None, confidence=0.9):
    return Word(text.strip(".,?!").lower(), start, end, confidence, text, speaker)


def result(words, speech_final=False):
    words = tuple(words)
    return Result(" ".join(w.text for w in words), words[0].start, words[-1].end, words, True, speech_final)


def sentence(text, start, step=0.25, speaker=None):
    """Words of ``text``, one every ``step`` seconds from ``start``."""
    return [word(t, start + i * step, start + (i + 1) * step, speaker) for i, t in enumerate(text.split())]


# Two utterances by two speakers: the first ends with speech_final, the second speaker follows.
TWO = [
    result(
        [
            word("Hello", 0.5, 0.8, 0),
            word("there.", 0.8, 1.2, 0),
            word("How", 1.4, 1.6, 0),
            word("are", 1.6, 1.7, 0),
            word("you", 1.7, 1.8, 0),
            word("doing", 1.8, 2.1, 0),
        ]
    ),
    result(
        [
            word("on", 2.1, 2.2, 0),
            word("this", 2.2, 2.4, 0),
            word("fine", 2.4, 2.7, 0),
            word("morning?", 2.7, 3.2, 0),
        ],
        speech_final=True,
    ),
    result([word("Fine,", 4.0, 4.4, 1), word("thanks.", 4.5, 5.0, 1)], speech_final=True),
]


def without_speakers(results):
    return [
        Result(
            r.text,
            r.start,
            r.end,
            tuple(Word(w.word, w.start, w.end, w.confidence, w.punctuated_word) for w in r.words),
            r.is_final,
            r.speech_final,
        )
        for r in results
    ]


# --- strict readers, so every output below is checked for the exact file format -------------------

HMS = r"(\d{2,}):([0-5]\d):([0-5]\d)"
SRT_TIME = HMS + r",(\d{3})"
VTT_TIME = HMS + r"\.(\d{3})"
SRT_CUE = re.compile(rf"(\d+)\n{SRT_TIME} --> {SRT_TIME}\n([^\n]+(?:\n[^\n]+)?)")
VTT_CUE = re.compile(rf"{VTT_TIME} --> {VTT_TIME}\n(?:<v (Speaker \d+)>)?([^\n<]+(?:\n[^\n<]+)?)")
SRT_SPEAKER = re.compile(r"(Speaker \d+): ")


class Cue(NamedTuple):
    start: int  # ms
    end: int
    lines: list  # as displayed, the SRT speaker label included
    speaker: str | None


def _ms(h, m, s, ms):
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def read_srt(text):
    if text == "":
        return []
    assert text.endswith("\n") and not text.endswith("\n\n") and "\n\n\n" not in text
    cues = []
    for number, block in enumerate(text[:-1].split("\n\n"), start=1):
        match = SRT_CUE.fullmatch(block)
        assert match, f"not an SRT cue: {block!r}"
        assert int(match[1]) == number
        lines = match[10].split("\n")
        speaker = SRT_SPEAKER.match(lines[0])
        cues.append(Cue(_ms(*match.group(2, 3, 4, 5)), _ms(*match.group(6, 7, 8, 9)), lines, speaker and speaker[1]))
    return cues


def read_vtt(text):
    assert text.startswith("WEBVTT\n\n")
    body = text[len("WEBVTT\n\n") :]
    if body == "":
        return []
    assert body.endswith("\n") and not body.endswith("\n\n") and "\n\n\n" not in body
    cues = []
    for block in body[:-1].split("\n\n"):
        match = VTT_CUE.fullmatch(block)
        assert match, f"not a WebVTT cue: {block!r}"
        assert "-->" not in match[10]
        cues.append(Cue(_ms(*match.group(1, 2, 3, 4)), _ms(*match.group(5, 6, 7, 8)), match[10].split("\n"), match[9]))
    return cues


def check_cues(cues, max_chars=84, max_duration=6.0):
    for cue in cues:
        assert 0 <= cue.start <= cue.end <= cue.start + round(max_duration * 1000)
        assert 1 <= len(cue.lines) <= 2
        for line in cue.lines:
            # Only a word too long for any line (with its speaker label) may overflow.
            assert len(line) <= max_chars // 2 or " " not in SRT_SPEAKER.sub("", line, count=1), cue
    for a, b in pairwise(cues):
        assert a.end <= b.start, (a, b)


def spoken(cues):
    """The words the cues show, in order, without speaker labels."""
    return " ".join(SRT_SPEAKER.sub("", " ".join(c.lines), count=1) for c in cues).split()


# --- exact output -----------------------------------------------------------------------------


def test_srt_of_two_utterances():
    assert to_srt(TWO) == (
        "1\n"
        "00:00:00,500 --> 00:00:03,200\n"
        "Speaker 1: Hello there.\n"
        "How are you doing on this fine morning?\n"
        "\n"
        "2\n"
        "00:00:04,000 --> 00:00:05,000\n"
        "Speaker 2: Fine, thanks.\n"
    )


def test_vtt_of_two_utterances():
    assert to_vtt(TWO) == (
        "WEBVTT\n"
        "\n"
        "00:00:00.500 --> 00:00:03.200\n"
        "<v Speaker 1>Hello there.\n"
        "How are you doing on this fine morning?\n"
        "\n"
        "00:00:04.000 --> 00:00:05.000\n"
        "<v Speaker 2>Fine, thanks.\n"
    )


def test_subtitles_without_speakers():
    plain = without_speakers(TWO)
    assert to_srt(plain) == (
        "1\n00:00:00,500 --> 00:00:03,200\nHello there.\nHow are you doing on this fine morning?\n\n"
        "2\n00:00:04,000 --> 00:00:05,000\nFine, thanks.\n"
    )
    assert to_vtt(plain) == (
        "WEBVTT\n\n00:00:00.500 --> 00:00:03.200\nHello there.\nHow are you doing on this fine morning?\n\n"
        "00:00:04.000 --> 00:00:05.000\nFine, thanks.\n"
    )


def test_text_one_line_per_utterance():
    assert to_text(TWO) == "Speaker 1: Hello there. How are you doing on this fine morning?\nSpeaker 2: Fine, thanks.\n"
    assert to_text(TWO, speakers=False) == "Hello there. How are you doing on this fine morning?\nFine, thanks.\n"
    assert to_text(TWO, timestamps=True) == (
        "[00:00] Speaker 1: Hello there. How are you doing on this fine morning?\n[00:04] Speaker 2: Fine, thanks.\n"
    )
    assert to_text(without_speakers(TWO), timestamps=True) == (
        "[00:00] Hello there. How are you doing on this fine morning?\n[00:04] Fine, thanks.\n"
    )


def test_text_timestamps_past_an_hour():
    results = [result([word(t, s, s + 0.4)], speech_final=True) for t, s in [("a", 59.99), ("b", 3599.9), ("c", 3600.0), ("d", 36005.2)]]
    assert to_text(results, timestamps=True) == "[00:59] a\n[59:59] b\n[1:00:00] c\n[10:00:05] d\n"


def test_utterances():
    assert utterances(TWO) == [
        Utterance(0.5, 3.2, "Hello there. How are you doing on this fine morning?", TWO[0].words + TWO[1].words, 0),
        Utterance(4.0, 5.0, "Fine, thanks.", TWO[2].words, 1),
    ]


def test_an_utterance_ends_at_speech_final_a_new_speaker_or_a_pause_over_2_s():
    results = [
        result([word("one", 0.0, 0.5), word("two", 2.5, 3.0)]),  # exactly 2 s apart: same utterance
        result([word("three", 5.01, 5.5)]),  # 2.01 s after "two"
        result([word("four", 5.6, 6.0)], speech_final=True),
        result([word("five", 6.1, 6.5)]),
        result([word("six", 6.6, 7.0, speaker=3)]),
    ]
    assert [u.text for u in utterances(results)] == ["one two", "three four", "five", "six"]
    assert utterances(results)[-1].speaker == 3
    assert to_text(results) == "one two\nthree four\nfive\nSpeaker 4: six\n"


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "srt", "vtt"),
    [
        (0.0, "00:00:00,000", "00:00:00.000"),
        (0.0004, "00:00:00,000", "00:00:00.000"),
        (0.0005, "00:00:00,001", "00:00:00.001"),
        (0.9994, "00:00:00,999", "00:00:00.999"),
        (0.9995, "00:00:01,000", "00:00:01.000"),
        (1.0005, "00:00:01,001", "00:00:01.001"),
        (2.675, "00:00:02,675", "00:00:02.675"),
        (59.9995, "00:01:00,000", "00:01:00.000"),
        (3599.9995, "01:00:00,000", "01:00:00.000"),
        (3661.001, "01:01:01,001", "01:01:01.001"),
        (36000.0, "10:00:00,000", "10:00:00.000"),
        (359999.9995, "100:00:00,000", "100:00:00.000"),
    ],
)
def test_times_round_to_the_millisecond_half_up_with_two_or_more_hour_digits(seconds, srt, vtt):
    results = [result([word("word", seconds, seconds)])]
    assert to_srt(results) == f"1\n{srt} --> {srt}\nword\n"
    assert to_vtt(results) == f"WEBVTT\n\n{vtt} --> {vtt}\nword\n"


def test_rounding_never_puts_an_end_before_its_start():
    rng = random.Random(7)
    results = []
    for _ in range(2000):
        start = rng.randrange(0, 10**7) / 10**4 + rng.choice([0.0, 0.00005, 0.00049999, 0.0005])
        results.append(result([word("w", start, start + rng.choice([0.0, 0.0001, 0.0004, 0.0005, 0.0006]))], speech_final=True))
    results.sort(key=lambda r: r.start)
    for cues in (read_srt(to_srt(results)), read_vtt(to_vtt(results))):
        assert len(cues) == 2000
        check_cues(cues)


def test_overlapping_and_out_of_order_words_give_ordered_cues_that_do_not_overlap():
    results = [
        result([word("one", 1.0, 2.0), word("two", 1.5, 2.5)], speech_final=True),
        result([word("three", 2.2, 3.0, speaker=1)]),  # starts before "two" ends
        result([word("four", 1.9, 2.1, speaker=0), word("five", 2.05, 4.0, speaker=0)]),  # starts earlier still
    ]
    assert to_srt(results) == (
        "1\n00:00:01,000 --> 00:00:02,200\none two\n\n"
        "2\n00:00:02,200 --> 00:00:02,200\nSpeaker 2: three\n\n"
        "3\n00:00:02,200 --> 00:00:04,000\nSpeaker 1: four five\n"
    )
    check_cues(read_vtt(to_vtt(results)))


# --- cue size ---------------------------------------------------------------------------------

VOCABULARY = "a I of the cat sat on mat. quickly, extraordinary wonderful! why? internationalisation".split()


def random_talk(n, seed, speakers=False):
    rng = random.Random(seed)
    results, words, t = [], [], 0.0
    for i in range(n):
        duration = rng.uniform(0.05, 0.9)
        speaker = (i // 97) % 3 if speakers else None
        words.append(word(rng.choice(VOCABULARY), t, t + duration, speaker))
        t += duration + rng.choice([0.0, 0.0, 0.1, 0.3, 2.5])
        if len(words) == 12 or i == n - 1:
            results.append(result(words, speech_final=rng.random() < 0.2))
            words = []
    return results


@pytest.mark.parametrize(("max_chars", "max_duration"), [(84, 6.0), (40, 3.0), (20, 1.5), (84, 0.5)])
@pytest.mark.parametrize("speakers", [False, True])
def test_cues_respect_max_chars_and_max_duration_and_keep_every_word(max_chars, max_duration, speakers):
    results = random_talk(2000, seed=max_chars, speakers=speakers)
    words = [w.text for r in results for w in r.words]
    srt_cues = read_srt(to_srt(results, max_chars=max_chars, max_duration=max_duration))
    vtt_cues = read_vtt(to_vtt(results, max_chars=max_chars, max_duration=max_duration))
    for cues in (srt_cues, vtt_cues):
        check_cues(cues, max_chars, max_duration)
        assert spoken(cues) == words
    assert all((c.speaker is not None) == speakers for c in srt_cues + vtt_cues)


def test_a_cue_prefers_to_end_at_a_sentence_end():
    results = [result(sentence("We met at noon. Then we walked along the river for hours", 0.0))]
    assert [c.lines for c in read_vtt(to_vtt(results, max_chars=40))] == [
        ["We met at noon."],
        ["Then we walked along", "the river for hours"],
    ]


def test_a_cue_prefers_a_clause_end_to_cutting_a_clause():
    results = [result(sentence("When the rain stopped at last, everybody went out into the sun", 0.0))]
    assert [c.lines for c in read_srt(to_srt(results, max_chars=40))] == [
        ["When the rain", "stopped at last,"],
        ["everybody went", "out into the sun"],
    ]


def test_max_duration_splits_a_cue_between_words():
    results = [result(sentence("one two three four five", 0.0, step=1.0))]
    assert to_srt(results, max_duration=2.5) == (
        "1\n00:00:00,000 --> 00:00:02,000\none two\n\n"
        "2\n00:00:02,000 --> 00:00:04,000\nthree four\n\n"
        "3\n00:00:04,000 --> 00:00:05,000\nfive\n"
    )


def test_a_word_longer_than_a_line_is_never_split():
    results = [result(sentence("a Supercalifragilisticexpialidocious word", 0.0))]
    assert [c.lines for c in read_vtt(to_vtt(results, max_chars=20))] == [["a"], ["Supercalifragilisticexpialidocious", "word"]]
    # A single word lasting longer than max_duration is shown for max_duration.
    assert to_srt([result([word("Hmmmmm", 1.0, 9.0)])], max_duration=6.0) == "1\n00:00:01,000 --> 00:00:07,000\nHmmmmm\n"


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="max_chars"):
        to_srt(TWO, max_chars=1)
    with pytest.raises(ValueError, match="max_duration"):
        to_vtt(TWO, max_duration=0)


# --- special content --------------------------------------------------------------------------


def test_empty_session():
    assert to_text([]) == ""
    assert to_srt([]) == ""
    assert to_vtt([]) == "WEBVTT\n\n"
    assert json.loads(to_json([])) == {
        "version": 1,
        "transcript": "",
        "results": [],
        "words": [],
        "speakers": {},
        "bookmarks": [],
    }
    assert from_json(to_json([])) == []
    assert utterances([]) == []


def test_unicode_is_kept_and_counted_in_characters():
    results = [
        result([word("Ça", 0.0, 0.3), word("été", 0.3, 0.6), word("génial", 0.6, 1.0)], speech_final=True),
        result([word("日本語", 1.0, 1.5), word("です", 1.5, 1.8), word("🎉🎉", 1.8, 2.0)], speech_final=True),
    ]
    # Lines of 10 characters: "日本語 です 🎉🎉" has 9 (25 bytes in UTF-8); "Ça été génial" has 13.
    assert to_srt(results, max_chars=20) == (
        "1\n00:00:00,000 --> 00:00:01,000\nÇa été\ngénial\n\n2\n00:00:01,000 --> 00:00:02,000\n日本語 です 🎉🎉\n"
    )
    assert to_text(results) == "Ça été génial\n日本語 です 🎉🎉\n"
    assert "日本語 です 🎉🎉" in to_json(results)  # not \u-escaped
    assert from_json(to_json(results)) == results


def test_vtt_escapes_markup_characters():
    results = [result(sentence("R&D <3 -->", 0.0))]
    assert to_vtt(results) == "WEBVTT\n\n00:00:00.000 --> 00:00:00.750\nR&amp;D &lt;3 --&gt;\n"
    assert to_srt(results) == "1\n00:00:00,000 --> 00:00:00,750\nR&D <3 -->\n"


def test_words_with_spaces_or_newlines_stay_on_one_line():
    results = [result([word("at", 0.0, 0.2), word("10:00\nAM", 0.2, 0.8)])]
    assert to_srt(results) == "1\n00:00:00,000 --> 00:00:00,800\nat 10:00 AM\n"


def test_results_without_words_are_spread_over_their_time():
    results = [
        Result("Hi there.", 1.0, 2.0, is_final=True, speech_final=True),
        Result("Okay", 2.0, 2.0, is_final=True),
        result([word("then.", 2.5, 3.0)], speech_final=True),
        Result("", 3.0, 4.0, is_final=True),
    ]
    spread = utterances(results)[0].words
    # Times in proportion to the characters: "Hi" 2 of 8, "there." 6 of 8.
    assert [(w.text, w.start, w.end) for w in spread] == [("Hi", 1.0, 1.25), ("there.", 1.25, 2.0)]
    assert to_text(results, timestamps=True) == "[00:01] Hi there.\n[00:02] Okay then.\n"
    assert to_srt(results) == "1\n00:00:01,000 --> 00:00:02,000\nHi there.\n\n2\n00:00:02,000 --> 00:00:03,000\nOkay then.\n"
    assert to_vtt(results) == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi there.\n\n00:00:02.000 --> 00:00:03.000\nOkay then.\n"


def test_a_long_utterance_without_words_still_respects_the_limits():
    text = " ".join(["word"] * 200)
    cues = read_srt(to_srt([Result(text, 0.0, 60.0, is_final=True)], max_duration=4.0))
    check_cues(cues, max_duration=4.0)
    assert spoken(cues) == text.split()


# --- JSON -------------------------------------------------------------------------------------


def test_json_document():
    document = json.loads(to_json(TWO))
    assert document["version"] == 1
    assert document["transcript"] == "Hello there. How are you doing on this fine morning? Fine, thanks."
    assert document["results"][2] == {
        "text": "Fine, thanks.",
        "start": 4.0,
        "end": 5.0,
        "is_final": True,
        "speech_final": True,
        "from_finalize": False,
        "speaker": 1,
        "words": [
            {"word": "fine", "start": 4.0, "end": 4.4, "confidence": 0.9, "punctuated_word": "Fine,", "speaker": 1},
            {"word": "thanks", "start": 4.5, "end": 5.0, "confidence": 0.9, "punctuated_word": "thanks.", "speaker": 1},
        ],
    }
    assert document["words"] == [w.to_dict() for r in TWO for w in r.words]


def test_json_round_trips_exactly():
    results = [
        *TWO,
        Result("no words", 5.123456789, 6.1 + 0.2, is_final=True, from_finalize=True),
        Result("", 7.0, 7.0, (Word("x", 1e-9, 0.30000000000000004, 1.0),), is_final=True),
        *random_talk(300, seed=3, speakers=True),
    ]
    assert from_json(to_json(results)) == results


def test_from_json_reads_the_widget_results_trait():
    document = {"version": 1, "results": [r.to_dict() for r in TWO]}
    assert from_json(json.dumps(document)) == TWO


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("{nope", "not valid JSON"),
        ("[1, 2]", 'expected an object with "version" and "results"'),
        ('{"version": 1}', 'expected an object with "version" and "results"'),
        ('{"version": 2, "results": []}', "Unsupported JSON export version 2"),
        ('{"results": []}', "Unsupported JSON export version None"),
        ('{"version": 1, "results": {}}', "results must be a list, not an object"),
        ('{"version": 1, "results": [3]}', r"results\[0\] must be an object, not the number 3"),
        ('{"version": 1, "results": [{"start": 0, "end": 1}]}', r"results\[0\].text is missing"),
        ('{"version": 1, "results": [{"text": "a", "start": "0", "end": 1}]}', r"results\[0\].start must be a number, not the string '0'"),
        ('{"version": 1, "results": [{"text": "a", "start": true, "end": 1}]}', r"results\[0\].start must be a number, not true/false"),
        ('{"version": 1, "results": [{"text": "a", "start": 0, "end": 1, "speech_final": 1}]}', r"speech_final must be true or false"),
        ('{"version": 1, "results": [{"text": "a", "start": 0, "end": NaN}]}', r"results\[0\].end must be a finite number, not nan"),
        (
            '{"version": 1, "results": [{"text": "a", "start": 0, "end": 1, "words": [{"word": "a", "start": 0, "end": 1}]}]}',
            r"results\[0\].words\[0\].confidence is missing",
        ),
        (
            '{"version": 1, "results": [{"text": "a", "start": 0, "end": 1, "words": [{"word": "a", "start": 0, "end": 1, "confidence": 1, "speaker": "A"}]}]}',
            r"results\[0\].words\[0\].speaker must be an integer",
        ),
    ],
)
def test_from_json_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        from_json(text)


def test_json_refuses_times_that_are_not_numbers():
    with pytest.raises(ValueError, match="not a finite number"):
        to_json([result([word("a", 0.0, float("nan"))])])


def test_formats():
    assert {name: mime for name, (_, mime) in FORMATS.items()} == {
        "txt": "text/plain",
        "srt": "application/x-subrip",
        "vtt": "text/vtt",
        "json": "application/json",
    }
    for writer, _ in FORMATS.values():
        assert isinstance(writer(TWO), str)


# --- real parsers and long sessions -----------------------------------------------------------


def test_real_parsers_read_the_subtitles():
    import srt
    import webvtt

    results = TWO + random_talk(300, seed=5, speakers=True)
    ours = read_srt(to_srt(results))
    theirs = list(srt.parse(to_srt(results)))
    assert [(round(s.start.total_seconds() * 1000), round(s.end.total_seconds() * 1000), s.content) for s in theirs] == [
        (c.start, c.end, "\n".join(c.lines)) for c in ours
    ]
    ours = read_vtt(to_vtt(results))
    theirs = webvtt.from_string(to_vtt(results)).captions
    assert [(c.start, c.end, c.voice, c.text) for c in theirs] == [
        (vtt_time(c.start), vtt_time(c.end), c.speaker, "\n".join(c.lines).replace("&lt;", "<").replace("&amp;", "&")) for c in ours
    ]


def vtt_time(ms):
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


@pytest.mark.timeout(30)  # a quadratic step would take hours here; linear takes about a second
def test_ten_hours_of_words_export_in_linear_time():
    words, t = [], 0.0
    for i in range(300_000):
        duration = 0.08 + (i % 7) * 0.008
        words.append(Word("w", t, t + duration, 0.9, VOCABULARY[i % len(VOCABULARY)], (i // 1000) % 2))
        t += duration + (1.0 if i % 50 == 49 else 0.0)
    results = [result(words[i : i + 20], speech_final=i % 60 == 40) for i in range(0, len(words), 20)]
    assert 10 * 3600 < t < 11 * 3600

    # to_vtt shares the cues with to_srt; its 10 h and 100 h timestamps are checked above.
    srt = to_srt(results)
    cues = read_srt(srt)
    check_cues(cues)
    assert len(spoken(cues)) == 300_000
    assert re.search(r"\n10:\d\d:\d\d,\d{3} --> 10:\d\d:\d\d,\d{3}\nSpeaker \d: [^\n]+(\n[^\n]+)?\n$", srt)

    text = to_text(results, timestamps=True)
    assert text.count("\n") == len(utterances(results))
    assert re.search(r"\n\[10:\d\d:\d\d\] Speaker \d: [^\n]+\n$", text)


def test_srt_keeps_markup_in_the_transcript_as_text():
    import srt

    text = "<b>Bold</b> {\\an8} <font color=red>x</font> & done"
    document = to_srt([result([word(t, 0.1 * i, 0.1 * i + 0.05) for i, t in enumerate(text.split())])])
    assert "<b>" not in document and "<font" not in document and "{\\an8}" not in document
    [cue] = list(srt.parse(document))
    assert cue.content.replace("\u200b", "").replace("\n", " ") == text


# --- speaker names, bookmarks, corrections ---------------------------------------------------------


NAMES = {0: "Ana", 1: "Ben <B&B>"}


def test_speaker_names_reach_every_format():
    assert to_text(TWO, speaker_names=NAMES).splitlines() == [
        "Ana: Hello there. How are you doing on this fine morning?",
        "Ben <B&B>: Fine, thanks.",
    ]
    # (SubRip has no escaping: a zero-width space keeps "<B" from reading as a tag.)
    assert [cue.lines[0].split(":")[0].replace("\u200b", "") for cue in read_srt(to_srt(TWO, speaker_names=NAMES))] == ["Ana", "Ben <B&B>"]
    assert "<v Ana>Hello there." in to_vtt(TWO, speaker_names=NAMES)
    assert "<v Ben &lt;B&amp;B&gt;>Fine, thanks." in to_vtt(TWO, speaker_names=NAMES)
    assert json.loads(to_json(TWO, speaker_names=NAMES))["speakers"] == {"0": "Ana", "1": "Ben <B&B>"}
    # An unnamed speaker keeps its number.
    assert to_text(TWO, speaker_names={1: "Ben"}).splitlines()[0].startswith("Speaker 1: ")


def test_a_name_counts_in_the_cue_width_and_never_breaks_a_line():
    srt = to_srt(TWO, max_chars=60, speaker_names={0: "Anastasia Papadopoulou", 1: "B\nen"})
    cues = read_srt(srt)
    # The label counts in the line's width (only a first word that cannot fit beside it overflows).
    assert all(len(line) <= 30 or " " not in line.removeprefix("Anastasia Papadopoulou: ") for cue in cues for line in cue.lines)
    assert cues[0].lines[0].startswith("Anastasia Papadopoulou: ")
    assert cues[-1].lines == ["B en: Fine, thanks."]


def test_bookmarks_are_lines_of_the_text_in_time_order():
    marks = [Bookmark(4.5, "answer"), Bookmark(0.0, "start"), Bookmark(99.0, "")]
    assert to_text(TWO, timestamps=True, bookmarks=marks).splitlines() == [
        "[bookmark 00:00] start",
        "[00:00] Speaker 1: Hello there. How are you doing on this fine morning?",
        "[00:04] Speaker 2: Fine, thanks.",
        "[bookmark 00:04] answer",
        "[bookmark 01:39]",
    ]
    assert "bookmark" not in to_srt(TWO) + to_vtt(TWO)


def test_json_round_trips_corrections_names_and_bookmarks():
    fixed = replace(TWO[2], text="Fine, thank you.", words=(*TWO[2].words[:1], word("thank", 4.5, 4.7, 1), word("you.", 4.7, 5.0, 1)),
                    original=Original(TWO[2].text, TWO[2].words))
    results = [*TWO[:2], fixed]
    marks = [Bookmark(1.25, "greeting", 0), Bookmark(7.0)]
    document = read_json(to_json(results, speaker_names=NAMES, bookmarks=marks))
    assert document == Document(results, NAMES, marks)
    entry = json.loads(to_json(results))["results"][2]
    assert entry["edited"] is True and entry["original"]["text"] == "Fine, thanks."
    assert from_json(to_json(results)) == results
    assert "edited" not in json.loads(to_json(TWO))["results"][0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"speakers": {"x": "Ana"}}, "A speaker is a number from 0"),
        ({"speakers": {"0": 5}}, "must be a string"),
        ({"speakers": []}, "must be a dict"),
        ({"bookmarks": {}}, "bookmarks must be a list"),
        ({"bookmarks": [{"label": "x"}]}, "bookmarks[0].time is missing"),
        ({"bookmarks": [{"time": "1"}]}, "bookmarks[0].time must be a number"),
    ],
)
def test_read_json_says_what_is_wrong_with_names_and_bookmarks(extra, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        read_json(json.dumps({"version": 1, "results": [], **extra}))
