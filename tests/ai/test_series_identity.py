"""One series identity (UID and stack) in the viewer's caches and results: stack 2 never shows stack 1's."""

import dataclasses
from types import SimpleNamespace

from lungview.detection import SeriesLesions
from lungview.inference import series_analysis
from lungview.inference.series_analysis import LesionsCache
from lungview.volume import Series, SliceRef


def _stack(number: int) -> Series:
    refs = tuple(SliceRef(f"/s{number}/{n}.dcm", f"{number}.{n}", n, float(n), (0.7, 0.7), 2.5) for n in range(12))
    return Series("1.2.3", "9", "CT", "chest", 64, 64, (2.5, 0.7, 0.7), (1, 0, 0, 0, 1, 0), refs, True, stack=number)


def test_series_key_names_the_stack_only_where_one_uid_holds_several():
    assert (_stack(2).key, dataclasses.replace(_stack(2), stack=0).key) == ("1.2.3#2", "1.2.3")


def test_lesions_cache_keeps_each_stack_apart(monkeypatch):
    asked = []

    def fake_find(classifier, series, *args):
        asked.append(series.key)
        return SeriesLesions(series.series_uid, {}, 0.5, (), (0.1 * series.stack,) * len(series))

    monkeypatch.setattr(series_analysis, "find_lesions", fake_find)
    classifier = SimpleNamespace(card=SimpleNamespace(id="m"))
    cache = LesionsCache()

    first, second = cache.get(classifier, _stack(1)), cache.get(classifier, _stack(2))

    assert asked == ["1.2.3#1", "1.2.3#2"]
    assert first.slice_scores != second.slice_scores
    assert cache.get(classifier, _stack(2)) is second and asked == ["1.2.3#1", "1.2.3#2"]


def test_slice_results_carry_the_stack_key():
    card = SimpleNamespace(cancer_classes=("tumour",), classes=("other", "tumour"), id="m", threshold=0.5)
    lesions = SeriesLesions("1.2.3", {}, 0.5, (), (0.2,) * 12)

    analysis = series_analysis.slice_from_lesions(lesions, _stack(2), 3, card)

    assert analysis.series_uid == "1.2.3#2"
