"""Reports from tables many times the curated ones: they build, sum up what they cannot show
and stay as wide as the page.

The curated tables twelve times over (``benchmarks/scale_data.py``: new ids, every reference
valid, one 10,000-character unbroken deed summary and source title) hold more deeds per
statement than a card lists, more statements than a section shows as cards, and more
timeline rows than a chart draws. Two reports are built from them, as a user would with
``research build --data-dir``. The timing at 100 times the curated tables is a benchmark
(``benchmarks/bench_build.py --scale 100``), not a test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from scale_data import scale  # noqa: E402

BIN = ROOT / ".venv" / "bin"
REPORTS = ["russia-iran-say_do-IRN", "north-korea-russia-explore"]
SCALE = 12
LONG = 10_000
#: A page from tables of any size: the chart runtime (about 0.9 MB), at most 40 cards of
#: 8 deeds per section and charts of at most 300 marks (curated pages: under 2 MB).
MAX_PAGE_BYTES = 3_000_000
CHROMIUM = shutil.which("/usr/bin/chromium") or shutil.which("chromium")


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("large")
    data, out = tmp / "data", tmp / "reports"
    rows = scale(ROOT / "data", data, SCALE, long_cell=LONG)
    assert rows["positions"] == SCALE * 69 and rows["events"] == SCALE * 40
    proc = subprocess.run(
        [str(BIN / "research"), "build", *REPORTS, "--force", "--jobs", "2"]
        + ["--data-dir", str(data), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def _page(out: Path, name: str) -> str:
    return (out / f"{name}.html").read_text(encoding="utf-8")


def test_scaled_tables_validate():
    tmp = Path(__import__("tempfile").mkdtemp(prefix="scaled."))
    try:
        scale(ROOT / "data", tmp / "data", 3, long_cell=LONG)
        proc = subprocess.run(
            [str(BIN / "research"), "validate", str(tmp / "data")], capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_cards_show_the_strongest_deeds_and_sum_up_the_rest(large):
    page = _page(large, "russia-iran-say_do-IRN")
    more_deeds = re.findall(r"… and ([\d,]+) more deeds \((.*?)\): see the table", page)
    assert more_deeds, "no card summed up the deeds it does not list"
    cards = re.findall(r'<div class="card .*?(?=<div class="card |<p class="more">|<h2)', page)
    for card in cards:  # each card lists at most 8 deeds
        statuses = re.findall(r"status <strong>(\w+)</strong>", card)
        assert len(statuses) <= 8
    assert re.search(r"… and [\d,]+ more statements \(.*contradicted.*\), each tested", page)


def test_charts_draw_a_bounded_number_of_marks_with_a_visible_note(large):
    page = _page(large, "north-korea-russia-explore")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page, re.S)
    assert any("Drawn: " in c and "identical rows as one mark" in c for c in captions), captions


def test_long_unbroken_text_can_wrap_in_table_cells(large):
    page = _page(large, "north-korea-russia-explore")
    assert "abcdefghij" * 2 + "<wbr" in page  # the 10,000-character title, breakable
    # no cell holds a longer run without a place to break (a space, hyphen, slash or <wbr>)
    assert not re.search(r"<td>[^<]*?[^<\s/-]{41,}", page)


def test_large_data_pages_stay_light(large):
    weights = {name: (large / f"{name}.html").stat().st_size for name in REPORTS}
    assert all(w < MAX_PAGE_BYTES for w in weights.values()), weights


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("name", REPORTS)
def test_no_cell_is_wider_than_a_phone_screen(large, name):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--proxy-server=127.0.0.1:9"]
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto((large / f"{name}.html").as_uri())
            drawn = "[...document.querySelectorAll('figure.chart')].every(f => f.matches('.drawn'))"
            page.wait_for_function(drawn, timeout=20_000)
            layout = page.evaluate(
                """() => ({scroll: document.documentElement.scrollWidth,
                           widest: Math.max(0, ...[...document.querySelectorAll('td, th')]
                                   .map(c => c.getBoundingClientRect().width))})"""
            )
        finally:
            browser.close()
    assert layout["scroll"] <= 390 and layout["widest"] <= 390, layout
