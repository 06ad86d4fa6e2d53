"""The site's chrome for a trainee: search finds codes, navigation opens on narrow
screens, widgets fit a phone, dark mode stays readable (book/_ext/pumpbill_site.py).

Each test opens the built book offline (see ``conftest.py``).
"""

from __future__ import annotations

import pytest

from pumpbill.rules.registry import REGISTRY

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000
WIDGET_PAGE = "book/choosing/family.html"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

RULE = REGISTRY["PB001"]


def _open(visit, site_url: str, rel: str, *, width: int = 1280, height: int = 900, dark: bool = False):
    page = visit.page
    page.set_viewport_size({"width": width, "height": height})
    if dark:
        page.emulate_media(color_scheme="dark")
        page.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")
    # the static snapshot, as first seen (no automatic Python start)
    page.add_init_script("localStorage.setItem('pumpbill-live-autostart', 'false');")
    page.goto(site_url + rel, wait_until="load", timeout=TIMEOUT_MS)
    return page


def _wait_for_widgets(page) -> None:
    views = page.locator(f'script[type="{WIDGET_VIEW}"]').count()
    assert views, "no widget on the page"
    page.wait_for_function("n => document.querySelectorAll('.widget-subarea').length >= n", arg=views,
                           timeout=TIMEOUT_MS)


def _search(page, site_url: str, query: str) -> list[str]:
    """Result pages (paths under the site root) of the site search for ``query``."""
    page.goto(site_url + "search.html?q=" + query.replace(" ", "+"), wait_until="load", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => { const s = document.querySelector('#search-results .search-summary');"
        " return s && s.textContent.trim().length > 0; }",
        timeout=TIMEOUT_MS,
    )
    hrefs = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(a => a.href)")
    return [h.split("#")[0].split("?")[0].removeprefix(site_url) for h in hrefs]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("62369", "book/choosing/family.html"),  # all digits: Sphinx alone drops the term
        ("95990", "book/choosing/related-codes.html"),
        ("J0475", "book/drugs/units.html"),
        ("Z45.1", "book/diagnosis/coding.html"),
        ("PB002", "book/reference/rules/pb002.html"),
        (RULE.name, "book/reference/rules/pb001.html"),  # a rule name, e.g. pump-code-mismatch
        ("wastage", "book/reference/glossary.html"),  # the glossary's synonym for the discarded amount
    ],
)
def test_search_finds_codes_and_rules(query: str, expected: str, site_url: str, visit) -> None:
    results = _search(visit.page, site_url, query)
    assert expected in results, f"search for {query!r} did not find {expected}: {results[:10]}"
    visit.check()


def test_search_leaves_hidden_code_out(site_url: str, visit) -> None:
    # "escape" occurs only in the hidden source of the book's table cells (rows = [[escape(...
    assert _search(visit.page, site_url, "escape") == []


SIDEBARS = [
    ("primary", "#pst-primary-sidebar-modal", "nav.bd-docs-nav a"),
    ("secondary", "#pst-secondary-sidebar-modal", "nav.page-toc a"),
]


@pytest.mark.parametrize("width", [390, 900])
@pytest.mark.parametrize(("which", "dialog_sel", "link_sel"), SIDEBARS, ids=[s[0] for s in SIDEBARS])
def test_sidebar_toggle_opens_by_click_and_keyboard(width: int, which: str, dialog_sel: str, link_sel: str,
                                                    site_url: str, visit) -> None:
    page = _open(visit, site_url, WIDGET_PAGE, width=width, height=844)
    toggle = page.locator(f".{which}-toggle:visible")
    assert toggle.count() == 1, f"expected one visible {which} toggle at {width}px"
    toggle = toggle.first
    dialog = page.locator(dialog_sel)

    def is_open() -> bool:
        return dialog.evaluate("d => d.open")

    for how in ("click", "Enter", "Space"):
        assert not is_open()
        if how == "click":
            toggle.click()
        else:
            toggle.focus()
            page.keyboard.press(how)
        page.wait_for_function(f"() => document.querySelector('{dialog_sel}').open", timeout=5_000)
        first_link = dialog.locator(link_sel).first
        first_link.wait_for(state="visible", timeout=5_000)
        assert first_link.inner_text().strip()
        page.keyboard.press("Escape")
        page.wait_for_function(f"() => !document.querySelector('{dialog_sel}').open", timeout=5_000)
        if how != "click":
            assert toggle.evaluate("b => b === document.activeElement"), "focus not back on the toggle"
    visit.check()


def test_widget_rows_wrap_on_a_phone(site_url: str, visit) -> None:
    page = _open(visit, site_url, WIDGET_PAGE, width=390, height=844)
    _wait_for_widgets(page)
    boxes = page.eval_on_selector_all(
        ".bd-article .jupyter-widgets.widget-box",
        """els => els.map(b => ({
            cls: b.className, scroll: b.scrollWidth, client: b.clientWidth,
            right: b.getBoundingClientRect().right,
            rows: b.classList.contains('widget-hbox')
                ? new Set(Array.from(b.children).filter(c => c.offsetParent).map(c => c.offsetTop)).size : 0,
        }))""",
    )
    assert boxes, "no widget box"
    article_right = page.eval_on_selector(".bd-article", "a => a.getBoundingClientRect().right")
    for box in boxes:
        assert box["scroll"] <= box["client"] + 1, f"widget box overflows sideways: {box}"
        assert box["right"] <= article_right + 1, f"widget box sticks out of the article: {box}"
    assert max(b["rows"] for b in boxes) >= 2, "no widget row wrapped at 390 px"
    # label over control
    label, control = page.locator(".bd-article .widget-dropdown").first.evaluate(
        "w => [w.querySelector('.widget-label').getBoundingClientRect().bottom,"
        " w.querySelector('select').getBoundingClientRect().top]"
    )
    assert label <= control + 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    visit.check()


def test_wide_table_scrolls_in_its_own_box_with_a_cue(site_url: str, visit) -> None:
    page = _open(visit, site_url, WIDGET_PAGE, width=390, height=844)
    _wait_for_widgets(page)
    page.wait_for_selector("table.pb-scrolls", state="attached", timeout=5_000)
    table = page.locator("table.pb-scrolls").first
    scroll, client, tabindex, cue = table.evaluate(
        "t => [t.scrollWidth, t.clientWidth, t.getAttribute('tabindex'),"
        " getComputedStyle(t, '::before').content]"
    )
    assert scroll > client, "the marked table does not scroll"
    assert tabindex == "0", "a scrolling table must be reachable with the keyboard"
    assert "Scroll sideways" in cue
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    visit.check()


# Contrast of every text-bearing element of the widgets' HTML output, with the
# element's and ancestors' opacity and semi-transparent backgrounds composited.
CONTRASTS = """
() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const out = [];
  for (const el of document.querySelectorAll('.bd-article .widget-html-content *, .bd-article .widget-html-content')) {
    const text = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    if (!text || !el.getClientRects().length) continue;
    const layers = []; let opacity = 1;
    for (let p = el; p; p = p.parentElement) {
      const cs = getComputedStyle(p); opacity *= Number(cs.opacity);
      const bg = parse(cs.backgroundColor); if (bg && bg[3] > 0) layers.push(bg);
      if (bg && bg[3] === 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const layer of layers.reverse()) bg = over(layer, bg);
    const fg0 = parse(getComputedStyle(el).color);
    const fg = over([fg0[0], fg0[1], fg0[2], fg0[3] * opacity], bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({ tag: el.tagName, text: text.slice(0, 40), ratio: (a + 0.05) / (b + 0.05), bg: lum(bg) });
  }
  return out;
}
"""


def test_dark_mode_widget_output_is_readable(site_url: str, visit) -> None:
    page = _open(visit, site_url, WIDGET_PAGE, dark=True)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    _wait_for_widgets(page)
    items = page.evaluate(CONTRASTS)
    assert len(items) >= 3, items
    assert any(i["tag"] == "CODE" for i in items), "no code in the widget output (the answer, e.g. Bill 62369)"
    low = [i for i in items if i["ratio"] < 4.5]
    assert not low, f"text below 4.5:1 in dark mode: {low[:8]}"
    assert all(i["bg"] < 0.2 for i in items), "widget output is not on a dark background"
    visit.check()


def test_primary_buttons_are_dark_enough(site_url: str, visit) -> None:
    page = _open(visit, site_url, "book/start/how-to-use.html")
    _wait_for_widgets(page)
    button = page.locator(".bd-article .jupyter-button.mod-primary").first
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(21, 101, 192)"  # #1565c0, 5.7:1
    visit.check()


def test_widget_controls_show_a_focus_ring(site_url: str, visit) -> None:
    page = _open(visit, site_url, WIDGET_PAGE)
    _wait_for_widgets(page)
    # the snapshot is inert until Python runs: make one control usable, as live, and Tab to it
    select = page.locator(".bd-article .jupyter-widgets select").first
    select.evaluate("s => { s.closest('[inert]')?.removeAttribute('inert'); s.disabled = false; }")
    select.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert select.evaluate("s => s === document.activeElement")
    style = select.evaluate("s => { const c = getComputedStyle(s); return [c.outlineStyle, c.outlineWidth]; }")
    assert style == ["solid", "3px"]
    visit.check()


def test_landing_page_has_start_here_above_the_fold(site_url: str, visit) -> None:
    for width, height in ((390, 844), (1280, 900)):
        page = _open(visit, site_url, "book/intro.html", width=width, height=height)
        link = page.locator("a.pb-start-here__link")
        assert link.count() == 1
        assert link.inner_text().startswith("Start here")
        box = link.bounding_box()
        assert box and box["y"] + box["height"] <= height, f"Start here is below the fold at {width}px"
        assert link.get_attribute("href") == "start/how-to-use.html"
    visit.check()


def test_print_hides_live_controls(site_url: str, visit) -> None:
    page = _open(visit, site_url, WIDGET_PAGE)
    page.evaluate(
        "() => { const bar = document.createElement('div'); bar.className = 'pb-live-bar'; bar.id = 'pb-test-bar';"
        " bar.textContent = 'Snapshot'; document.querySelector('.bd-article').prepend(bar); }"
    )
    assert page.locator("#pb-test-bar").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("#pb-test-bar").is_visible()
    visit.check()
