"""Rates and intervals from sums alone, as the facts table stores them."""

import math

import pytest

from labelhub.analytics.sums import ratio_interval, spread


def test_the_interval_is_the_ratio_estimators_normal_approximation() -> None:
    # Two clips of 4 words with 1 and 2 edits: R = 3/8, residuals -0.5 and 0.5, s² = 0.5,
    # standard error √(0.5/2) / 4 = 0.125.
    rate = ratio_interval(n=2, edits=3, units=8, edits_sq=5, units_sq=32, cross=12)

    assert rate.value == pytest.approx(0.375)
    assert rate.low == pytest.approx(0.375 - 1.959964 * 0.125)
    assert rate.high == pytest.approx(0.375 + 1.959964 * 0.125)


def test_one_clip_or_no_reference_has_no_spread() -> None:
    assert ratio_interval(n=1, edits=1, units=4, edits_sq=1, units_sq=16, cross=4).low == 0.25
    assert ratio_interval(n=3, edits=0, units=0, edits_sq=0, units_sq=0, cross=0) is None


def test_a_low_bound_never_goes_below_zero() -> None:
    rate = ratio_interval(n=2, edits=1, units=8, edits_sq=1, units_sq=32, cross=4)

    assert rate.low == 0.0


def test_spread_is_the_sample_standard_deviation() -> None:
    assert spread(n=2, total=0.75, squares=0.3125) == pytest.approx(math.sqrt(0.03125))
    assert spread(n=1, total=0.5, squares=0.25) == 0.0
