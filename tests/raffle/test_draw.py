"""The raffle draw: rejection sampling with scripted bytes, uniformity with the OS source, chat lines."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamdeck_tui.components.raffle_draw import (
    CHAT_LIMIT,
    WORD_SPACE,
    OsRandom,
    RafflePair,
    distance,
    draw,
    draw_pair,
    is_winner,
    leaderboard_message,
    loss_message,
    no_winner_message,
    nobody_rolled_message,
    record_note,
    rejection_limit,
    roll_message,
    stats_fragment,
    win_message,
)

LIMIT_10K = rejection_limit(10_000)


class Script:
    """A byte source that hands out the given 32-bit words in order and counts how many were read."""

    def __init__(self, words: Iterable[int]) -> None:
        self._words = iter(words)
        self.reads = 0

    def read(self, n: int) -> bytes:
        assert n == 4
        self.reads += 1
        return next(self._words).to_bytes(4, "big")

    def exhausted(self) -> bool:
        return next(self._words, None) is None


# -- rejection sampling with scripted words ---------------------------------------------------------------


def test_rejection_threshold_is_the_largest_multiple_of_the_range_below_2_to_32() -> None:
    assert LIMIT_10K == 4_294_960_000
    assert LIMIT_10K % 10_000 == 0
    assert 0 < WORD_SPACE - LIMIT_10K < 10_000


def test_words_at_and_above_the_threshold_are_redrawn() -> None:
    source = Script([LIMIT_10K, LIMIT_10K + 1, WORD_SPACE - 1, 12_345])
    assert draw(source) == 1 + 12_345 % 10_000
    assert source.reads == 4


def test_words_just_below_the_threshold_are_accepted() -> None:
    source = Script([LIMIT_10K - 1, 0])
    assert draw(source) == 10_000
    assert draw(source) == 1
    assert source.reads == 2


def test_small_range_rejects_only_the_top_word() -> None:
    # 2^32 = 3 * 1431655765 + 1: exactly one word (the largest) would favour the first value.
    assert rejection_limit(3) == WORD_SPACE - 1
    source = Script([WORD_SPACE - 1, WORD_SPACE - 2])
    assert draw(source, 1, 3) == 1 + (WORD_SPACE - 2) % 3
    assert source.reads == 2


def test_a_full_cycle_of_residues_gives_a_flat_histogram() -> None:
    # Every word the sampler must reject first, then the last 10,000 acceptable words: one of each residue.
    top = list(range(LIMIT_10K, WORD_SPACE))
    cycle = list(range(LIMIT_10K - 10_000, LIMIT_10K))
    source = Script(top + cycle)
    counts = Counter(draw(source) for _ in range(10_000))
    assert source.exhausted()
    assert source.reads == len(top) + len(cycle)
    assert set(counts) == set(range(1, 10_001))
    assert set(counts.values()) == {1}


def test_plain_modulo_would_have_favoured_low_numbers() -> None:
    # Why the rejection exists: over all 2^32 words, modulo alone hits 1..7296 once more than the rest.
    extra = WORD_SPACE % 10_000
    assert extra == 7_296
    assert extra == WORD_SPACE - LIMIT_10K


def test_single_value_and_full_word_ranges() -> None:
    assert draw(Script([WORD_SPACE - 1]), 7, 7) == 7
    assert draw(Script([WORD_SPACE - 1]), 0, WORD_SPACE - 1) == WORD_SPACE - 1


@pytest.mark.parametrize(("low", "high"), [(2, 1), (0, WORD_SPACE)])
def test_bad_ranges_are_bugs(low: int, high: int) -> None:
    with pytest.raises(ValueError, match="range"):
        draw(Script([0]), low, high)


def test_a_short_read_is_a_bug() -> None:
    class Short:
        def read(self, n: int) -> bytes:
            return b"\x00"

    with pytest.raises(ValueError, match="1 bytes"):
        draw(Short())


@given(
    words=st.lists(st.binary(min_size=4, max_size=4), max_size=8),
    low=st.integers(-(2**40), 2**40),
    span=st.one_of(st.integers(1, 20_000), st.integers(1, WORD_SPACE)),
)
def test_any_words_give_a_value_in_range(words: list[bytes], low: int, span: int) -> None:
    fallback = b"\x00\x00\x00\x00"  # word 0 is always accepted, so every draw ends

    class Bytes:
        def __init__(self) -> None:
            self.queue = list(words)

        def read(self, n: int) -> bytes:
            return self.queue.pop(0) if self.queue else fallback

    value = draw(Bytes(), low, low + span - 1)
    assert low <= value <= low + span - 1
    accepted = next((int.from_bytes(w, "big") for w in words if int.from_bytes(w, "big") < rejection_limit(span)), 0)
    assert value == low + accepted % span


def test_pair_draws_winning_number_then_roll() -> None:
    assert draw_pair(Script([5, 9])) == RafflePair(winning_number=6, roll=10)


def test_distance_and_winner() -> None:
    assert distance(1, 10_000) == distance(10_000, 1) == 9_999
    assert is_winner(42, 42)
    assert not is_winner(42, 43)


# -- uniformity of the real OS source ---------------------------------------------------------------------

DRAWS = 100_000
BINS = 100
DF = BINS - 1
Z_ONE_IN_A_MILLION = 4.753  # one-sided standard normal quantile for p = 1e-6


def wilson_hilferty(df: int, z: float) -> float:
    """Chi-square quantile from a normal quantile (Wilson-Hilferty cube-root approximation)."""
    a = 2 / (9 * df)
    return df * (1 - a + z * math.sqrt(a)) ** 3


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for chi-square(df): upper regularized gamma Q(df/2, x/2) by continued fraction (x > df/2+1)."""
    a, y = df / 2, x / 2
    assert y > a + 1
    tiny = 1e-300
    b = y + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = d if abs(d) > tiny else tiny
        c = b + an / c
        c = c if abs(c) > tiny else tiny
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return math.exp(-y + a * math.log(y) - math.lgamma(a)) * h


# df = 99, p = 1e-6: Wilson-Hilferty gives 181.07 (a true false-alarm rate of 9.4e-7, checked below).
CRITICAL = wilson_hilferty(DF, Z_ONE_IN_A_MILLION)


def chi_square(values: Iterable[int]) -> float:
    """Pearson's statistic for values in 1..10000 in 100 equal bins against the uniform distribution."""
    counts = Counter((v - 1) // 100 for v in values)
    assert set(counts) <= set(range(BINS))
    total = sum(counts.values())
    expected = total / BINS
    return sum((counts.get(b, 0) - expected) ** 2 / expected for b in range(BINS))


def test_the_threshold_has_a_false_alarm_rate_below_one_in_a_million() -> None:
    assert 180.5 < CRITICAL < 181.5
    assert chi2_sf(20.0, 2) == pytest.approx(math.exp(-10.0), rel=1e-9)  # the tail function itself
    assert 5e-7 < chi2_sf(CRITICAL, DF) < 1e-6


def test_os_random_draws_are_uniform() -> None:
    source = OsRandom()
    values = [draw(source) for _ in range(DRAWS)]
    assert min(values) >= 1
    assert max(values) <= 10_000
    assert chi_square(values) < CRITICAL


def _values_from(make: Callable[[random.Random], int]) -> list[int]:
    rng = random.Random(20_240_601)
    return [make(rng) for _ in range(DRAWS)]


def test_the_uniformity_test_catches_modulo_on_a_small_word() -> None:
    # 16-bit words modulo 10000: 1..5536 come up 7 times in 65536, the rest 6 times.
    values = _values_from(lambda rng: 1 + rng.getrandbits(16) % 10_000)
    assert chi_square(values) > CRITICAL


def test_the_uniformity_test_catches_a_source_favouring_low_values() -> None:
    class Skewed:
        """Uniform words, except that one read in fifty lands on a residue that gives 1..100."""

        def __init__(self, rng: random.Random) -> None:
            self.rng = rng

        def read(self, n: int) -> bytes:
            word = self.rng.randrange(WORD_SPACE)
            if self.rng.random() < 0.02:
                word = self.rng.randrange(LIMIT_10K // 10_000) * 10_000 + self.rng.randrange(100)
            return word.to_bytes(n, "big")

    rng = random.Random(7)
    source = Skewed(rng)
    assert chi_square(draw(source) for _ in range(DRAWS)) > CRITICAL


# -- chat lines -------------------------------------------------------------------------------------------


def test_win_and_loss_lines() -> None:
    win = win_message("Alice", 1234, 1234)
    assert win.startswith("@Alice ")
    assert "KEYBOARD" in win
    assert "1234 | Winning number: 1234" in win
    loss = loss_message("@bob", 100, 150)
    assert loss.startswith("@bob ")
    assert "150" in loss
    assert "100" in loss
    assert "distance: 50" in loss
    assert record_note(50) not in loss
    assert loss_message("bob", 100, 150, new_record=True).endswith(record_note(50))
    assert roll_message("a", 5, 5, new_record=True) == win_message("a", 5, 5)
    assert roll_message("a", 5, 6) == loss_message("a", 5, 6)


def test_leaderboard_lines() -> None:
    assert leaderboard_message([], 0) == nobody_rolled_message()
    assert leaderboard_message([("a", 0), ("b", 0)], 12) == no_winner_message()
    ranked = [("Ann", 3), ("bo", 2), ("c", 1), ("d", 1), ("e", 1), ("f", 1), ("g", 0)]
    assert leaderboard_message(ranked, 50) == "Raffle wins: 1. @Ann (3) 2. @bo (2) 3. @c (1) 4. @d (1) 5. @e (1)"


def test_stats_fragment() -> None:
    assert stats_fragment(0, None, 0) == "0 rolls"
    assert stats_fragment(1, 12, 0) == "1 roll (closest: 12)"
    assert stats_fragment(9, 3, 2) == "9 rolls (closest: 3, 2 wins!)"
    assert stats_fragment(2, None, 1) == "2 rolls (1 win!)"


@given(name=st.text(min_size=1, max_size=2_000), roll=st.integers(1, 10_000), win=st.integers(1, 10_000))
def test_every_line_fits_in_a_chat_message(name: str, roll: int, win: int) -> None:
    lines = [
        win_message(name, roll, win),
        loss_message(name, roll, win, new_record=True),
        leaderboard_message([(name, 99)] * 5, 5),
        nobody_rolled_message(),
        no_winner_message(),
    ]
    assert all(len(line) <= CHAT_LIMIT for line in lines)
