"""Screenshots of the key pages for each person, at 390 and 1280 px (run by scripts/screenshots).

Signs people in by giving the browser a session made here in the same database (so it does not
depend on the sign-in page's markup), and raises one anonymous concern through the raise journey to
photograph the receipt page.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from workflow.models import Case, Status  # noqa: E402

WIDTHS = (390, 1280)
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def session_cookie(username: str) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies["sessionid"].value


def pages_for() -> dict[str, list[tuple[str, str]]]:
    guardian_case = (
        Case.objects.filter(status=Status.INVESTIGATING, assigned_guardian__username="gemma")
        .order_by("-raised_at")
        .first()
        or Case.objects.order_by("-raised_at").first()
    )
    rob = get_user_model().objects.get(username="rob")
    robs = Case.objects.filter(concern__reporter=rob).exclude(route="anonymous")
    fed_back = (
        robs.filter(status__in=[Status.FEEDBACK_GIVEN, Status.CLOSED]).first() or robs.first()
    )
    return {
        "": [
            ("start", "/"),
            ("raise", "/raise/"),
            ("accessibility", "/accessibility/"),
            ("privacy", "/privacy/"),
        ],
        "rob": [
            ("reporter-my-concerns", "/my-concerns/"),
            ("reporter-concern", f"/my-concerns/{fed_back.reference}/"),
        ],
        "gemma": [
            ("guardian-queue", "/cases/"),
            ("guardian-case", f"/cases/{guardian_case.reference}/"),
            ("guardian-notifications", "/notifications/"),
        ],
        "leo": [
            ("lead-workload", "/cases/workload/"),
            ("lead-data-return", "/reports/data-return/"),
        ],
        "cara": [("committee-reports", "/reports/")],
        "ada": [
            ("setup-index", "/setup/"),
            ("setup-staff", "/setup/staff/"),
            ("admin-index", "/admin/"),
            ("admin-organisations", "/admin/concerns/organisation/"),
        ],
    }


def raise_anonymously(page: Page, out: Path, width: int) -> None:
    """Through the raise journey: one question per page (the fourth, "What happened?", is
    photographed), then check your answers (photographed) and send."""
    page.goto("/raise/")
    answers = [
        lambda: page.locator("input[name=route][value=anonymous]").check(),
        lambda: page.locator("select[name=organisation]").select_option(index=1),
        lambda: page.locator("input[name=categories]").first.check(),
        lambda: page.fill(
            "textarea[name=description]", "Students are left alone on the ward at night."
        ),
        lambda: None,  # what you would like to happen (optional)
        lambda: page.locator("input[name=raised_elsewhere]").first.check(),
        lambda: page.locator("input[name=reporter_role]").first.check(),
    ]
    for number, answer in enumerate(answers):
        if number == 3:
            shoot(page, out / f"raise-question-{width}.png")
        answer()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
    page.wait_for_url("**/raise/check/")
    shoot(page, out / f"raise-check-answers-{width}.png")
    page.get_by_role("button", name="Send my concern").click()
    page.wait_for_url("**/raise/receipt/")


def come_back_with_the_code(page: Page) -> None:
    """The receipt saved, then used to come back: the anonymous reporter's concern page."""
    code = page.locator("#receipt-code-value").get_attribute("value") or ""
    page.get_by_label("I have saved my receipt code").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/receipt/")
    page.get_by_label("Your receipt code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/receipt/concern/")


MAX_HEIGHT = 2400  # the top of a long page is what a reader needs; keeps the files small


def shoot(page: Page, path: Path) -> None:
    """The page from the top, at most MAX_HEIGHT px, saved as a small 256-colour PNG."""
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
    width = page.viewport_size["width"]
    png = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
    image.save(path, optimize=True)


def shoot_charts(page: Page, out: Path, width: int) -> None:
    """The trend and the categories chart, each section on its own."""
    sections = page.locator(".su-report-section")
    for index, name in ((0, "committee-trend"), (1, "committee-categories")):
        png = sections.nth(index).screenshot()
        image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
        image.save(out / f"{name}-{width}.png", optimize=True)


def main(base_url: str, out: Path) -> None:
    targets = pages_for()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for width in WIDTHS:
            for username, pages in targets.items():
                context = browser.new_context(
                    base_url=base_url, viewport={"width": width, "height": 900}
                )
                if username:
                    context.add_cookies(
                        [
                            {
                                "name": "sessionid",
                                "value": session_cookie(username),
                                "url": base_url,
                            }
                        ]
                    )
                page = context.new_page()
                for name, path in pages:
                    page.goto(path)
                    shoot(page, out / f"{name}-{width}.png")
                    if name == "committee-reports":  # the charts sit below the first screens
                        shoot_charts(page, out, width)
                if not username:
                    raise_anonymously(page, out, width)
                    shoot(page, out / f"receipt-{width}.png")
                    come_back_with_the_code(page)
                    shoot(page, out / f"receipt-holder-concern-{width}.png")
                context.close()
        browser.close()
    for png in sorted(out.glob("*.png")):
        print(f"{png}  {png.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
