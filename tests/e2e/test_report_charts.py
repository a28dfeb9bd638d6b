"""Issue 17, the committee: chart labels are not cut off ("…behavio") and axis text is
readable. Measured in the browser on the committee's own page: every text of every chart
(bar labels, values, axis ticks, month labels) lies inside its SVG's viewBox (getBBox), no
two texts of a chart overlap, and at every width (a phone's too) every text renders at 12 px
or more; the page never scrolls sideways (the trend scrolls inside its own box)."""

from __future__ import annotations

import pytest

from concerns.roles import Role
from reports.services import rollups_rebuild
from tests.e2e.test_reflow_axe import WIDTHS, _session
from tests.factories import DepartmentFactory, OrganisationFactory, make_user, raise_concern

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every chart's texts: where each lies (its box in SVG units), and its size on screen.
TEXTS = """() => [...document.querySelectorAll('svg.su-chart')].map(svg => {
  const vb = svg.viewBox.baseVal;
  const scale = svg.getBoundingClientRect().width / vb.width;
  return {
    chart: svg.querySelector('title').textContent, vb: [vb.x, vb.y, vb.width, vb.height],
    texts: [...svg.querySelectorAll('text')].map(t => {
      const b = t.getBBox();
      return {text: t.textContent, box: [b.x, b.y, b.width, b.height],
              px: parseFloat(getComputedStyle(t).fontSize) * scale};
    }),
  };
})"""


def _cut_off(chart: dict) -> list[str]:
    x0, y0, w, h = chart["vb"]
    return [
        f"{chart['chart']}: {t['text']!r} is cut off ({t['box']} outside {chart['vb']})"
        for t in chart["texts"]
        if t["box"][0] < x0 - 0.5
        or t["box"][1] < y0 - 0.5
        or t["box"][0] + t["box"][2] > x0 + w + 0.5
        or t["box"][1] + t["box"][3] > y0 + h + 0.5
    ]


def _overlaps(chart: dict) -> list[str]:
    found, texts = [], [t for t in chart["texts"] if t["text"].strip()]
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            ax, ay, aw, ah = a["box"]
            bx, by, bw, bh = b["box"]
            # a little slack: glyph boxes include line spacing above and below the letters
            if ax + aw > bx + 1 and bx + bw > ax + 1 and ay + ah > by + 3 and by + bh > ay + 3:
                found.append(f"{chart['chart']}: {a['text']!r} overlaps {b['text']!r}")
    return found


@pytest.fixture
def committee_world():
    org = OrganisationFactory(code="RCH1", name="Chart Teaching Hospitals NHS Foundation Trust")
    ward = DepartmentFactory(organisation=org, name="Paediatric intensive care unit (PICU)")
    counts = {"inappropriate-behaviour": 12, "patient-safety": 9, "discrimination": 2}
    for slug, count in counts.items():
        for _ in range(count):
            raise_concern(org, categories=(slug,), department=ward)
    rollups_rebuild()
    return make_user(Role.COMMITTEE, org, username="cordelia")


def test_chart_labels_are_whole_apart_and_readable(browser_page, committee_world, live_server):
    page, problems = browser_page, []
    cookie = {"name": "sessionid", "value": _session(committee_world), "url": live_server.url}
    page.context.add_cookies([cookie])
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/reports/")
        charts = page.evaluate(TEXTS)
        assert len(charts) >= 5, charts  # the trend and the bar charts are all there
        # the longest label is all there, every word (wrapped over lines, not clipped)
        labels = {t["text"].replace(" ", "") for c in charts for t in c["texts"]}
        assert "Otherinappropriateattitudesorbehaviours" in labels, labels
        for chart in charts:
            problems += [f"{width}px {p}" for p in _cut_off(chart) + _overlaps(chart)]
            small = [t for t in chart["texts"] if t["px"] < 12]
            problems += [
                f"{width}px {chart['chart']}: {t['text']!r} is {t['px']:.1f} px" for t in small
            ]
        sideways = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert sideways <= 0, (width, sideways)
    assert not problems, "\n".join(problems)
