"""Open a folder, then show the located series and slice: the latest request wins; a miss calls back."""


def test_the_latest_request_wins_and_shows_its_slice(qtbot, main_window, sample_series_dir):
    calls = []
    main_window.series_jump.open(str(sample_series_dir), lambda result: calls.append("first") or (0, 3))
    main_window.series_jump.open(str(sample_series_dir), lambda result: calls.append("second") or (0, 11))
    qtbot.waitUntil(lambda: main_window.current_series() is not None and main_window.current_index() == 11,
                    timeout=30_000)
    assert calls == ["second"]


def test_a_place_not_in_the_scan_calls_not_found(qtbot, main_window, sample_series_dir):
    missing = []
    main_window.series_jump.open(str(sample_series_dir), lambda result: None, lambda: missing.append(True))
    qtbot.waitUntil(lambda: missing == [True], timeout=30_000)
    assert main_window.current_index() == len(main_window.current_series()) // 2  # the default slice stays
