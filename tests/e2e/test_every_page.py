"""Issue 17, "Shown by": every page, as every role that can see it, at 320, 640 and 1280 px
in a real browser (Debian's Chromium through Playwright): nothing scrolls sideways (WCAG 2.2
1.4.10 Reflow) and axe-core finds no WCAG 2.2 A/AA violation. Every form a page holds that
must refuse an empty answer is sent empty through the browser, and its error state is held
to the same bar.

The pages come from the URL resolver (tests/e2e/sweep_pages.py): a pattern that is neither
swept nor skipped with a reason fails the first test, so a new page cannot go unswept. Each
role is one test (one browser context holding that role's session cookie, made on the
server), so that pytest-xdist spreads the sweep over the machine's cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import _browser
from tests.e2e.sweep_pages import ROLES, Visit, api_names, skipped, url_patterns, visits
from tests.e2e.sweep_world import build_world
from tests.e2e.test_reflow_axe import AXE, WIDTHS, _problems

# An empty answer, as a person who pressed the button straight away would send it.
EMPTY = """(form) => {
  form.noValidate = true;
  const details = form.closest('details');
  if (details) details.open = true;
  for (const el of form.querySelectorAll('input, textarea, select')) {
    if (['hidden', 'submit', 'button'].includes(el.type)) continue;
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = false;
    else if (el.tagName === 'SELECT') el.selectedIndex = [...el.options].findIndex(o => !o.value);
    else el.value = '';
  }
}"""
SUBMIT = "button[type=submit], input[type=submit], button:not([type])"
ERRORS = ".nhsuk-error-summary, .nhsuk-error-message, .errornote, .errorlist"


def test_every_url_pattern_is_swept_or_skipped():
    """Given the resolver's patterns, each is swept, skipped with a reason, or JSON API."""
    known = {key for key, _ in url_patterns()}
    swept = {visit.name for visit in visits()}
    reasons = skipped()
    missing = sorted(known - swept - set(reasons) - api_names())
    assert not missing, f"pages neither swept nor skipped (tests/e2e/sweep_pages.py): {missing}"
    stale = sorted((swept | set(reasons)) - known)
    assert not stale, f"swept or skipped, but no longer a URL pattern: {stale}"
    assert not swept & set(reasons), "both swept and skipped"
    assert all(reason.strip() for reason in reasons.values())


@pytest.fixture(scope="module")
def sweep_browser(live_server) -> Iterator:
    with _browser(live_server.url) as browser:
        yield browser


def _at_every_width(page, label: str) -> list[str]:
    """The page as it is now, at each width (resized, not reloaded: an error state stays)."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        problems += [f"{label} {width}px: {p}" for p in _problems(page, width)]
    return problems


def _error_state(page, path: str, selector: str, label: str) -> list[str]:
    page.goto(path)
    form = page.locator(selector)
    if form.count() != 1:
        return [f"{label}: {form.count()} forms match {selector!r}, expected 1"]
    form.evaluate(EMPTY)
    with page.expect_navigation():
        form.locator(SUBMIT).first.click()
    if page.locator(ERRORS).count() == 0:
        return [f"{label}: {selector} sent empty shows no error (landed on {page.url})"]
    return _at_every_width(page, f"{label}, {selector} sent empty")


def _sweep(page, visit: Visit, world: dict, seen: set[str]) -> list[str]:
    path = visit.path(world)
    label = f"{visit.title()} ({path})"
    response = page.goto(path)
    status = response.status if response else None
    if status != visit.status:
        return [f"{label}: answered {status}, expected {visit.status}"]
    landed = urlsplit(page.url)
    if landed.path != urlsplit(path).path:
        return [f"{label}: redirected to {landed.path}"]
    problems = [] if page.url in seen else _at_every_width(page, label)
    seen.add(page.url)
    for selector in visit.errors:
        problems += _error_state(page, path, selector, label)
    return problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ROLES)
def test_every_page_reflows_and_passes_axe_for_every_role(
    role, sweep_browser, live_server, settings
):
    # the sessions' recent sign-in holds for the whole sweep on a slow machine
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 3600
    if not AXE.exists():
        pytest.skip(f"SKIPPED LOUDLY: axe-core is not installed at {AXE} (npm ci)")
    world = build_world()
    context = sweep_browser.new_context(base_url=live_server.url)
    if role != "visitor":
        cookie = {"name": "sessionid", "value": world["sessions"][role], "url": live_server.url}
        context.add_cookies([cookie])
    page = context.new_page()
    page.set_default_timeout(15000)
    mine = [visit for visit in visits() if role in visit.roles]
    assert mine, role
    problems: list[str] = []
    seen: set[str] = set()
    try:
        for visit in mine:
            problems += _sweep(page, visit, world, seen)
    finally:
        context.close()
    assert not problems, f"{role}:\n" + "\n".join(problems)
