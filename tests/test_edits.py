"""The edit model (live_transcriber.edits): timings kept, originals kept, corrections undone."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from live_transcriber.edits import edit_utterance, edit_word, edited_words
from live_transcriber.results import Original, Result, Word


def word(text, start, end, speaker=None, confidence=0.6):
    return Word(text.strip(".,?!").lower(), start, end, confidence, text, speaker)


def result(words, speech_final=False, utterance=0):
    words = tuple(words)
    return Result(" ".join(w.text for w in words), words[0].start, words[-1].end, words, True, speech_final, utterance=utterance)


def sentence(text, start, step=0.5, gap=0.1, speaker=None):
    return [word(t, start + i * step, start + i * step + step - gap, speaker) for i, t in enumerate(text.split())]


def well_timed(words):
    """In order, start <= end, no overlap with the next word."""
    return all(w.start <= w.end for w in words) and all(a.end <= b.start for a, b in pairwise(words))


HELLO = result(sentence("Hello there, how are you?", 1.0))


# --- one word -----------------------------------------------------------------------------------


def test_a_corrected_word_keeps_its_time_and_the_result_keeps_the_engines_words():
    fixed = edit_word(HELLO, 1, "their,")
    assert fixed.text == "Hello their, how are you?"
    assert [(w.start, w.end) for w in fixed.words] == [(w.start, w.end) for w in HELLO.words]
    assert fixed.words[1] == Word("their", 1.5, 1.9, 1.0, "their,")
    assert fixed.edited and fixed.original == Original(HELLO.text, HELLO.words)
    assert (fixed.start, fixed.end, fixed.utterance) == (HELLO.start, HELLO.end, HELLO.utterance)
    assert edited_words(fixed) == [False, True, False, False, False]


def test_a_word_corrected_twice_keeps_the_first_original_and_correcting_it_back_undoes_it():
    twice = edit_word(edit_word(HELLO, 1, "their,"), 1, "they're,")
    assert twice.original == Original(HELLO.text, HELLO.words) and twice.words[1].text == "they're,"
    assert edit_word(twice, 1, "there,") == HELLO
    assert edit_word(HELLO, 1, "there,") is HELLO


def test_a_case_or_punctuation_change_keeps_the_engines_confidence():
    fixed = edit_word(HELLO, 0, "Hello,")
    assert fixed.words[0].confidence == 0.6 and fixed.edited


def test_a_word_becomes_several_words_sharing_its_time_or_none():
    split = edit_word(HELLO, 4, "you doing?")
    assert split.text == "Hello there, how are you doing?"
    new = split.words[4:]
    assert (new[0].start, new[-1].end) == (HELLO.words[4].start, HELLO.words[4].end) and well_timed(split.words)
    removed = edit_word(HELLO, 2, "")
    assert removed.text == "Hello there, are you?" and len(removed.words) == 4 and removed.edited


def test_bad_word_edits_say_what_is_wrong():
    with pytest.raises(IndexError, match="has no word 5: it has 5"):
        edit_word(HELLO, 5, "x")
    with pytest.raises(TypeError, match="must be a string"):
        edit_word(HELLO, 0, None)


# --- an utterance -------------------------------------------------------------------------------


def test_the_same_number_of_words_keeps_every_time():
    fixed = edit_utterance([HELLO], "Hello there, who are you?")
    assert [(w.start, w.end) for w in fixed[0].words] == [(w.start, w.end) for w in HELLO.words]
    assert edited_words(fixed[0]) == [False, False, True, False, False]


def test_matching_words_keep_their_times_and_new_ones_share_the_replaced_span():
    [fixed] = edit_utterance([HELLO], "Well hello there, how on earth are you?")
    words = {w.text: w for w in fixed.words}
    for kept in ("there,", "are", "you?"):
        assert words[kept] == next(w for w in HELLO.words if w.text == kept)
    # "Well" joins the span of the first word; "on earth" the span of "how", the word before them.
    hello, how = HELLO.words[0], HELLO.words[2]
    assert (words["Well"].start, words["hello"].end) == (hello.start, hello.end)
    assert (words["how"].start, words["earth"].end) == (how.start, how.end)
    assert well_timed(fixed.words) and fixed.text == "Well hello there, how on earth are you?"


def test_an_utterance_over_several_results_gives_each_result_the_words_that_replace_its_own():
    first = result(sentence("the whether is", 0.0), utterance=3)
    second = result(sentence("warm and sunny today.", 1.5), speech_final=True, utterance=3)
    fixed = edit_utterance([first, second], "The weather is warm and very sunny today.")
    assert [r.text for r in fixed] == ["The weather is", "warm and very sunny today."]
    assert all(r.start <= w.start and w.end <= r.end for r in fixed for w in r.words)
    assert well_timed([w for r in fixed for w in r.words])
    assert [r.utterance for r in fixed] == [3, 3] and fixed[1].speech_final
    assert fixed[0].original.words == first.words and fixed[1].original.words == second.words


def test_a_replacement_across_two_results_is_shared_by_how_many_words_each_had():
    first = result(sentence("a b c", 0.0))
    second = result(sentence("d e", 2.0))
    fixed = edit_utterance([first, second], "v w x y z q")
    assert [len(r.words) for r in fixed] == [4, 2]  # 6 new words for 3 + 2 old: 3.6 -> 4, then 2
    assert well_timed([w for r in fixed for w in r.words])


def test_a_result_untouched_by_an_utterance_edit_is_returned_as_it_was():
    first = result(sentence("keep these words", 0.0))
    second = result(sentence("fix this", 2.0))
    fixed = edit_utterance([first, second], "keep these words fix that")
    assert fixed[0] is first and fixed[1].edited


def test_all_words_removed_leaves_an_empty_result():
    [fixed] = edit_utterance([HELLO], "")
    assert fixed.text == "" and fixed.words == () and fixed.edited and fixed.original.text == HELLO.text


def test_a_speaker_given_to_an_utterance_reaches_every_word():
    [fixed] = edit_utterance([HELLO], speaker=1)
    assert fixed.speaker == 1 and {w.speaker for w in fixed.words} == {1} and fixed.edited
    assert fixed.text == HELLO.text and [(w.start, w.end) for w in fixed.words] == [(w.start, w.end) for w in HELLO.words]
    with pytest.raises(ValueError, match="speaker"):
        edit_utterance([HELLO], speaker=-1)


def test_a_result_without_words_gets_words_spread_over_its_time():
    bare = Result("no words here", 2.0, 4.0, is_final=True)
    [fixed] = edit_utterance([bare], "no words here at all")
    assert (fixed.words[0].start, fixed.words[-1].end) == (2.0, 4.0) and well_timed(fixed.words)
    assert fixed.original == Original("no words here")
    assert edit_utterance([fixed], "no words here") == [bare]


@pytest.mark.parametrize("seed", range(30))
def test_any_correction_keeps_timings_in_order_within_the_utterance(seed):
    rng = random.Random(seed)
    vocabulary = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    results, start = [], 0.0
    for _ in range(rng.randint(1, 4)):
        words = []
        for _ in range(rng.randint(1, 6)):
            length = rng.uniform(0.0, 0.6)
            words.append(word(rng.choice(vocabulary), start, start + length))
            start += length + rng.uniform(0.0, 0.3)
        results.append(result(words))
    old = [w for r in results for w in r.words]
    text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 12)))
    fixed = edit_utterance(results, text)
    new = [w for r in fixed for w in r.words]
    assert [w.text for w in new] == text.split()
    assert well_timed(new)
    assert all(old[0].start <= w.start and w.end <= old[-1].end for w in new)
    assert all(r.start <= w.start and w.end <= r.end for r in fixed for w in r.words)
