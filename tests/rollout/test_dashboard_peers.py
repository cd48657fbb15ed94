"""The peer median ("vs. peers") on known curves: weekly % linked since go-live."""
import datetime as dt

import pytest

from rollout.dashboard.peers import curve_from_links, peer_median_curve, vs_peers

GO_LIVE = dt.date(2026, 1, 5)  # a Monday


def test_curve_counts_links_by_whole_weeks_since_golive_cumulatively():
    links = [(GO_LIVE, 10), (GO_LIVE + dt.timedelta(days=6), 10), (GO_LIVE + dt.timedelta(days=7), 30)]
    assert curve_from_links(links, go_live=GO_LIVE, today=GO_LIVE + dt.timedelta(days=15), registered=100) == [20.0, 50.0, 50.0]


def test_links_before_golive_count_in_week_zero():
    assert curve_from_links([(GO_LIVE - dt.timedelta(days=3), 5)], go_live=GO_LIVE, today=GO_LIVE, registered=10) == [50.0]


def test_peer_median_curve_takes_at_each_week_the_courts_that_reached_it():
    curves = {1: [10.0, 20.0, 30.0], 2: [0.0, 40.0, 50.0], 3: [50.0, 60.0, 70.0, 80.0], 4: [5.0, 15.0, 25.0, 35.0]}
    assert peer_median_curve(curves) == [7.5, 30.0, 40.0, None]


def test_peer_median_curve_leaves_out_the_court_itself():
    curves = {1: [10.0, 20.0], 2: [30.0, 40.0], 3: [50.0, 90.0], 4: [70.0, 80.0]}
    assert peer_median_curve(curves, exclude=3, weeks=3) == [30.0, 40.0, None]


def test_vs_peers_is_pct_now_minus_the_median_of_older_or_equal_peers_at_the_courts_week():
    # Court 1 is in its week 1; peers at week 1: courts 2 (40), 3 (60) and 5 (50); court 4 is too young.
    curves = {1: [5.0, 25.0], 2: [10.0, 40.0, 45.0], 3: [20.0, 60.0], 4: [99.0], 5: [0.0, 50.0]}
    assert vs_peers(curves, 1, 25.0) == pytest.approx(25.0 - 50.0)


def test_vs_peers_is_none_without_peers_or_when_not_live():
    assert vs_peers({1: [5.0, 10.0], 2: [50.0]}, 1, 10.0) is None
    assert vs_peers({2: [50.0]}, 1, 10.0) is None


def test_fewer_than_three_peers_give_no_median_so_no_courts_figure_can_be_read_back():
    # With one peer, "vs. peers" beside the court's own % linked would give that court's exact figure.
    curves = {1: [5.0, 25.0], 2: [10.0, 50.0], 3: [20.0, 60.0]}
    assert vs_peers(curves, 1, 25.0) is None
    assert peer_median_curve(curves, exclude=1) == [None, None]


def test_peers_the_viewer_administers_do_not_count_toward_the_minimum():
    """An administrator of courts 1–3 knows their figures: with court 4 the only other peer, the
    median of 2, 3 and 4 would give court 4's figure back."""
    curves = {1: [50.0], 2: [10.0], 3: [90.0], 4: [37.0]}
    assert vs_peers(curves, 1, 50.0) is not None
    assert vs_peers(curves, 1, 50.0, known=frozenset({1, 2, 3})) is None
    assert peer_median_curve(curves, exclude=1, known=frozenset({1, 2, 3})) == [None]


def test_three_peers_outside_the_viewers_courts_give_a_median():
    curves = {1: [50.0], 2: [10.0], 3: [20.0], 4: [30.0], 5: [40.0]}
    assert vs_peers(curves, 1, 50.0, known=frozenset({1, 2})) == pytest.approx(50.0 - 25.0)
