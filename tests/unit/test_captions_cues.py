"""The cue builder keeps every broadcast rule on any word stream, and breaks where a reader expects."""
from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.captions import BROADCAST, Cue, Word, build_cues
from functions.core.captions.cues import speaker_prefix

EPS = 1e-9
MIN, MAX, SYNC, PAUSE = BROADCAST.min_duration, BROADCAST.max_duration, BROADCAST.sync, BROADCAST.pause


_stems = st.one_of(
    st.text(string.ascii_letters + "'", min_size=1, max_size=12),
    st.text(string.ascii_lowercase, min_size=13, max_size=41),  # 41 + punctuation still fits a line
)
_spoken = st.tuples(
    st.one_of(st.just(0), st.integers(0, 400), st.integers(400, 3000)),  # gap before the word, ms
    st.one_of(st.integers(10, 800), st.integers(800, 9000)),  # its length, ms (sometimes absurdly long)
    _stems,
    st.sampled_from(["", "", "", "", ",", ".", "?", "!"]),
)


@st.composite
def word_streams(draw) -> list[Word]:
    """Sorted, non-overlapping words at millisecond times, as engines produce them."""
    t = draw(st.integers(0, 5000))
    words = []
    for gap, length, stem, punctuation in draw(st.lists(_spoken, max_size=50)):
        start = t + gap
        words.append(Word(text=stem + punctuation, start=start / 1000, end=(start + length) / 1000))
        t = start + length
    return words


def assert_broadcast_rules(words: list[Word], cues: list[Cue]) -> None:
    assert [w for c in cues for w in c.words] == words, "a word was lost, duplicated or reordered"
    for k, cue in enumerate(cues):
        first, last = cue.words[0], cue.words[-1]
        prev_end = cues[k - 1].end if k else 0.0
        next_start = cues[k + 1].start if k + 1 < len(cues) else None
        duration = cue.end - cue.start

        assert 1 <= len(cue.lines) <= 2 and all(len(line) <= 42 for line in cue.lines), cue.lines
        assert len(speaker_prefix(cue.speaker) + cue.lines[0]) <= 42, "no room for the SRT speaker mark"
        assert " ".join(cue.lines) == " ".join(w.text for w in cue.words)
        assert cue.start < cue.end and duration <= MAX + EPS
        if next_start is not None:
            assert cue.end <= next_start + EPS, "cues overlap"
        assert first.start - SYNC - EPS <= cue.start <= first.start + EPS
        assert all(b.start - a.end <= PAUSE + EPS
                   for a, b in zip(cue.words, cue.words[1:], strict=False)), "cue spans a pause"
        if len(cue.words) > 1:
            assert last.end - first.start <= MAX + EPS

        squeezed = next_start is not None and abs(cue.end - next_start) < EPS and (
            abs(cue.start - max(prev_end, first.start - SYNC)) < EPS
        )
        assert duration >= MIN - EPS or squeezed, f"{duration:.3f} s cue had room to grow"
        extended = cue.end > last.end and duration <= MIN + EPS
        capped = len(cue.words) == 1 and last.end - first.start > MAX and abs(duration - MAX) < EPS
        assert abs(cue.end - last.end) <= SYNC + EPS or extended or capped, "cue end drifts from speech"


@settings(max_examples=200, deadline=None)
@given(word_streams())
def test_every_rule_holds_on_random_speech(words: list[Word]) -> None:
    assert_broadcast_rules(words, build_cues(words))


@st.composite
def dialogues(draw) -> list[Word]:
    """Word streams where the speaker sometimes changes, with gaps of any size between turns. Words stay short
    enough to fit a line beside the longest speaker mark, so none is split."""
    speakers = ["spk_0", "spk_1", "spk_11"]
    words, turn = [], 0
    for word in draw(word_streams()):
        turn += draw(st.sampled_from([0, 0, 0, 1]))
        words.append(word.model_copy(update={"text": word.text[-28:], "speaker": speakers[turn % 3]}))
    return words


@settings(max_examples=200, deadline=None)
@given(dialogues())
def test_every_rule_holds_on_dialogue_and_no_cue_mixes_speakers(words: list[Word]) -> None:
    cues = build_cues(words)
    assert_broadcast_rules(words, cues)
    assert all(len({w.speaker for w in c.words}) == 1 and c.speaker == c.words[0].speaker for c in cues)


def test_a_speaker_change_ends_a_cue_even_without_a_pause() -> None:
    question = [w.model_copy(update={"speaker": "spk_0"}) for w in _say("Are you coming")]
    answer = [w.model_copy(update={"speaker": "spk_1"}) for w in _say("yes I am", start=question[-1].end + 0.05)]
    cues = build_cues(question + answer)
    assert [(c.speaker, " ".join(c.lines)) for c in cues] == [("spk_0", "Are you coming"), ("spk_1", "yes I am")]


def test_a_long_word_leaves_room_for_the_speaker_mark() -> None:
    word = Word(text="x" * 40, start=0.0, end=1.5, speaker="spk_0")
    cues = build_cues([word])
    assert "".join(w.text for c in cues for w in c.words) == word.text
    cue, = cues
    assert cue.lines == ["x" * 30, "x" * 10]  # "[Speaker 1] " takes 12 of the first line's 42


def test_no_words_no_cues() -> None:
    assert build_cues([]) == []


def _say(text: str, start: float = 0.0, word: float = 0.3, gap: float = 0.05) -> list[Word]:
    words, t = [], start
    for token in text.split():
        words.append(Word(text=token, start=round(t, 3), end=round(t + word, 3)))
        t += word + gap
    return words


def test_breaks_at_sentence_end_not_mid_sentence() -> None:
    words = _say("The committee approved the new budget for the coming year. "
                 "Several members said the decision came after long debates.")
    cues = build_cues(words)
    assert [c.words[-1].text for c in cues] == ["year.", "debates."]


def test_prefers_a_comma_to_a_mid_phrase_break() -> None:
    words = _say("When the storm finally passed over the small coastal town, "
                 "the fishermen went back down to the harbour to count their boats")
    cues = build_cues(words)
    assert len(cues) == 2 and cues[0].words[-1].text == "town,"


def test_a_long_pause_always_starts_a_new_cue() -> None:
    words = _say("so we waited") + _say("and waited", start=2.0)
    assert [" ".join(c.lines) for c in build_cues(words)] == ["so we waited", "and waited"]


def test_short_sentences_share_a_cue_when_they_fit() -> None:
    assert [c.lines for c in build_cues(_say("Yes. I know. Thanks."))] == [["Yes. I know. Thanks."]]


def test_a_short_cue_is_held_for_a_second_even_past_its_word() -> None:
    cue, _ = build_cues([Word(text="Yes.", start=1.0, end=1.2), Word(text="Right.", start=4.0, end=4.3)])
    assert (cue.start, cue.end) == (1.0, 2.0)


def test_a_short_cue_never_overlaps_the_next_one() -> None:
    words = [Word(text="Yes.", start=1.0, end=1.2), *_say("and then a much longer sentence follows so quickly that the two cannot share a cue", start=1.6)]
    first, second = build_cues(words)
    assert first.end == second.start == 1.6
    assert first.start == 1.0 - SYNC  # pulled earlier, within the 0.3 s rule, to get closer to 1 s


def test_two_lines_are_balanced_and_break_after_punctuation() -> None:
    cue, = build_cues(_say("We walked along the river, and then we stopped for coffee"))
    assert cue.lines == ["We walked along the river,", "and then we stopped for coffee"]


def test_a_word_longer_than_a_line_is_split_not_lost() -> None:
    url = "https://example.com/" + "a" * 60
    cues = build_cues([Word(text=url, start=0.0, end=2.0)])
    assert "".join(w.text for c in cues for w in c.words) == url
    assert all(len(line) <= 42 for c in cues for line in c.lines)
