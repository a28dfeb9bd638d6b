"""Walking the raise journey in a browser, for any browser test that needs a concern raised
through the pages (route first, one question per page, ending on check your answers)."""

from __future__ import annotations


def continue_(page) -> None:
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def walk_raise_journey(
    page,
    org=None,
    *,
    route: str = "Anonymous",
    description: str = "Students are left alone on the ward at night.",
    hoped: str = "",
) -> None:
    """From the first question (the page must be on it) to "Check your answers": the first
    organisation in the list unless ``org`` is given, the first category, and the first
    option of each other question."""
    page.get_by_label(route, exact=True).check()
    continue_(page)
    organisation = page.get_by_label("Which organisation is your concern about?")
    if org is None:
        organisation.select_option(index=1)
    else:
        organisation.select_option(label=str(org))
    continue_(page)
    page.locator("input[name=categories]").first.check()
    continue_(page)
    page.get_by_label("What happened?").fill(description)
    continue_(page)
    if hoped:
        page.get_by_label("What would you like to happen? (optional)").fill(hoped)
    continue_(page)
    page.locator("input[name=raised_elsewhere]").first.check()
    continue_(page)
    page.locator("input[name=reporter_role]").first.check()
    continue_(page)
