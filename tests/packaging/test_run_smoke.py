"""packaging/run_smoke.py: network isolation choice, page-cache eviction and reading a smoke report."""

import json
import sys

import pytest
import run_smoke


def test_isolation_prefix_without_os_support_falls_back_to_the_in_app_guard(monkeypatch):
    monkeypatch.setattr(run_smoke.shutil, "which", lambda name: None)
    for platform in ("linux", "darwin", "win32"):
        prefix, description = run_smoke.isolation_prefix(platform)
        assert prefix == [] and "in-app socket guard only" in description


def test_isolation_prefix_uses_unshare_when_it_works(monkeypatch):
    monkeypatch.setattr(run_smoke.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(run_smoke, "_works", lambda command: command[:2] == ["unshare", "-n"])
    assert run_smoke.isolation_prefix("linux")[0] == ["unshare", "-n"]


def test_evict_from_page_cache_touches_every_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.bin").write_bytes(b"abc")
    supported = run_smoke.evict_from_page_cache(tmp_path)
    assert supported == hasattr(run_smoke.os, "posix_fadvise")
    assert (tmp_path / "sub" / "a.bin").read_bytes() == b"abc"


FAKE_APP = """
import json, pathlib, sys, time
out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
out.mkdir(parents=True, exist_ok=True)
now = time.time()
report = {"first_image_at": now, "first_result_at": now + 1, "first_overlay_at": now + 1.5, "finished_at": now + 2,
          "result": {"predicted": "x"}}
if "--fail" in sys.argv:
    report["failure"] = "the slice was not classified"
(out / "smoke.json").write_text(json.dumps(report))
(out / "app-modules.txt").write_text("lungview\\ntorch\\n")
sys.exit(1 if "--fail" in sys.argv else 0)
"""


@pytest.fixture
def fake_app(tmp_path, monkeypatch):
    """A stand-in for the app that writes a smoke report the way ``lungview smoke-test`` does (no isolation)."""
    monkeypatch.setattr(run_smoke, "isolation_prefix", lambda: ([], "none (test)"))
    script = tmp_path / "fake_app.py"
    script.write_text(FAKE_APP)
    return [sys.executable, str(script)]


def test_run_smoke_times_from_launch_and_reads_the_modules(fake_app, tmp_path):
    outcome = run_smoke.run_smoke(fake_app, tmp_path / "out", timeout=60)
    assert 0 <= outcome.first_image_s < outcome.first_result_s < outcome.first_overlay_s < outcome.total_s
    assert outcome.modules == ["lungview", "torch"]
    assert json.loads((tmp_path / "out" / "smoke.json").read_text())["result"] == {"predicted": "x"}


def test_run_smoke_reports_the_apps_failure(fake_app, tmp_path):
    with pytest.raises(run_smoke.SmokeError, match="not classified"):
        run_smoke.run_smoke(fake_app, tmp_path / "out", timeout=60, extra_args=("--fail",))


def test_run_smoke_without_a_report_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(run_smoke, "isolation_prefix", lambda: ([], "none (test)"))
    with pytest.raises(run_smoke.SmokeError, match="wrote no report"):
        run_smoke.run_smoke([sys.executable, "-c", "pass"], tmp_path / "out", timeout=60)


def test_main_prints_a_plain_failure(tmp_path, capsys):
    missing = tmp_path / "no-such-app"
    assert run_smoke.main([str(missing), "--out", str(tmp_path / "out")]) == 1
    assert "smoke test FAILED: the app was not found" in capsys.readouterr().err
