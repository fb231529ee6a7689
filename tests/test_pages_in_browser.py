"""The built reports as a reader opens them: in headless Chromium, network off, on a
1280 px screen and a 390 px phone.

These read the committed ``reports/`` (``test_build`` checks that a fresh build matches them
byte for byte). They drive Debian's Chromium through the ``playwright`` package; without
Chromium (``apt-get install chromium``) the browser tests skip and say why.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from research import charts, render

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
PAGES = sorted(p.name for p in REPORTS.glob("*.html"))
REPORT_PAGES = [p for p in PAGES if p != "index.html"]
CHROMIUM = shutil.which("/usr/bin/chromium") or shutil.which("chromium")
SCREENS = {"desktop": (1280, 800, False), "phone": (390, 844, True)}
#: A page may weigh this much at most (it carries the chart runtime, about 0.9 MB, once).
MAX_PAGE_BYTES = 2_000_000

needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)


def test_every_page_weighs_under_2_mb():
    assert REPORT_PAGES, "no built reports: run `make reports`"
    weights = {p: (REPORTS / p).stat().st_size for p in PAGES}
    assert all(w < MAX_PAGE_BYTES for w in weights.values()), weights


def test_pages_embed_the_chart_runtime_once_and_keep_an_svg_for_no_script_readers():
    bundle = render.runtime()
    for name in REPORT_PAGES:
        text = (REPORTS / name).read_text(encoding="utf-8")
        figures = text.count('<figure class="chart" data-spec=')
        assert figures >= 1, name
        assert text.count(bundle) == 1, name
        assert text.count('<noscript><img alt="') == figures, name
        assert 'alt="No description' not in text, name
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text


def test_chart_spec_mimetype_is_the_one_the_page_reads():
    assert render.SPEC_MIME == charts.SPEC_MIME


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--proxy-server=127.0.0.1:9"]
        )
        yield b
        b.close()


def _open(browser, name: str, screen: str, **context):
    width, height, mobile = SCREENS[screen]
    ctx = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=mobile, **context
    )
    page = ctx.new_page()
    leaving: list[str] = []
    page.on(
        "request",
        lambda r: leaving.append(r.url) if not r.url.startswith(("file:", "data:")) else None,
    )
    page.goto((REPORTS / name).as_uri())
    if context.get("java_script_enabled", True) and name != "index.html":
        drawn = "[...document.querySelectorAll('figure.chart')].every(f => f.matches('.drawn'))"
        page.wait_for_function(drawn, timeout=20_000)
    return ctx, page, leaving


@needs_browser
@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_the_screen_has_one_h1_and_stays_offline(browser, name, screen):
    ctx, page, leaving = _open(browser, name, screen)
    try:
        layout = page.evaluate(
            """() => ({scroll: document.documentElement.scrollWidth, inner: innerWidth,
                       h1: document.querySelectorAll('h1').length})"""
        )
        assert layout["scroll"] <= layout["inner"], (name, screen, layout)
        assert layout["h1"] == 1, name
        assert leaving == [], (name, leaving)
    finally:
        ctx.close()


@needs_browser
@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("name", REPORT_PAGES)
def test_finding_and_evidence_line_are_on_the_first_screen(browser, name, screen):
    ctx, page, _ = _open(browser, name, screen)
    try:
        boxes = page.evaluate(
            """() => {
              const box = s => document.querySelector(s).getBoundingClientRect();
              return {lead: box('.finding .lead').top, evidence: box('.evidence').bottom,
                      height: innerHeight, footer: box('footer').top,
                      meta: document.querySelector('header').textContent};
            }"""
        )
        assert 0 < boxes["lead"] < boxes["evidence"] <= boxes["height"], (name, screen, boxes)
        text = page.inner_text(".finding")
        assert "Evidence:" in text and len(text.split(". ")) >= 2
        # build metadata lives in the footer, far below
        assert "fingerprint" not in boxes["meta"].lower()
        assert "Build fingerprint" in page.inner_text("footer")
        assert boxes["footer"] > boxes["height"]
    finally:
        ctx.close()


@needs_browser
@pytest.mark.parametrize("name", REPORT_PAGES)
def test_charts_are_drawn_with_meaningful_alt_text(browser, name):
    ctx, page, _ = _open(browser, name, "desktop")
    try:
        labels = page.eval_on_selector_all(
            "figure.chart .chart-view svg", "els => els.map(e => e.getAttribute('aria-label'))"
        )
        assert labels, name
        for label in labels:
            assert label and "No description" not in label and len(label) > 30, (name, label)
            assert any(w in label for w in ("statement", "verdict", "S score", "events")), label
    finally:
        ctx.close()


@needs_browser
def test_hovering_a_chart_mark_shows_its_tooltip(browser):
    ctx, page, leaving = _open(browser, "russia-iran-say_do-IRN.html", "desktop")
    try:
        mark = page.locator("figure.chart .mark-symbol path").first
        mark.scroll_into_view_if_needed()
        mark.hover(force=True)
        tip = page.locator("#vg-tooltip-element.visible")
        tip.wait_for(timeout=5_000)
        text = tip.inner_text()
        assert "summary" in text and "status" in text and "sources" in text, text
        assert leaving == []
    finally:
        ctx.close()


@needs_browser
@pytest.mark.parametrize("screen", list(SCREENS))
def test_without_scripts_every_chart_shows_its_svg_with_alt_text(browser, screen):
    name = "north-korea-russia-say_do-PRK.html"
    ctx, page, _ = _open(browser, name, screen, java_script_enabled=False)
    try:
        images = page.evaluate(
            """async () => Promise.all([...document.querySelectorAll('figure.chart img')].map(
                 async img => { await img.decode();
                   return {alt: img.alt, w: img.getBoundingClientRect().width,
                           natural: img.naturalWidth}; }))"""
        )
        assert len(images) == 2, images
        width = SCREENS[screen][0]
        for img in images:
            assert img["natural"] > 50 and 50 < img["w"] <= width, img
            assert len(img["alt"]) > 30 and "No description" not in img["alt"], img
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()


@needs_browser
def test_heading_anchors_show_only_on_hover_or_focus(browser):
    ctx, page, _ = _open(browser, "russia-iran-say_do-IRN.html", "desktop")
    try:
        anchor = page.locator("h2 .anchor-link").first
        assert anchor.evaluate("a => getComputedStyle(a).opacity") == "0"
        anchor.focus()
        assert anchor.evaluate("a => getComputedStyle(a).opacity") == "1"
    finally:
        ctx.close()


@needs_browser
def test_shift_and_wheel_zoom_the_time_axis(browser):
    ctx, page, _ = _open(browser, "russia-iran-dyad-RUS-IRN.html", "desktop")
    try:
        timeline = page.locator("figure.chart").nth(1)
        mark = timeline.locator(".mark-symbol path").first  # inside the first panel
        mark.scroll_into_view_if_needed()
        box = mark.bounding_box()
        labels = "f => [...f.querySelectorAll('.role-axis-label text')].map(t => t.textContent)"
        before = timeline.evaluate(labels)
        page.mouse.move(box["x"] - 100, box["y"])
        page.keyboard.down("Shift")
        page.mouse.wheel(0, -300)
        page.keyboard.up("Shift")
        page.wait_for_timeout(300)
        assert timeline.evaluate(labels) != before
    finally:
        ctx.close()
