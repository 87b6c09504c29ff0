"""The shared "did you mean" hint of error messages."""

from lead_framework.suggestions import close_names, did_you_mean


def test_close_names_are_ordered_and_limited():
    known = ["pretrain", "posttrain", "evaluate", "collect"]
    assert close_names("postrain", known, n=1) == ["posttrain"]
    assert close_names("zzz", known) == []


def test_hint_names_the_matches_or_falls_back():
    assert did_you_mean(["tiny", "small"], "presets: tiny, small") == "did you mean 'tiny' or 'small'?"
    assert did_you_mean([], "presets: tiny, small") == "presets: tiny, small"
