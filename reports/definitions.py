"""The fixed report definitions: indicators, and which evidence which quality standard.

Committee members choose a period and organisations only; everything else is defined here,
so no combination of filters can be used to difference one concern out of two reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from reports.disclosure import Cell


class Figures(Protocol):
    """A report's disclosed figures (``reports.tables.Disclosed``): counts, shares of counts
    and medians, all from disclosed cells."""

    def measure(self, measure: str) -> Cell: ...

    def share(self, part: str, whole: str) -> Cell: ...

    def share_of(self, part: Cell, whole: Cell) -> Cell: ...

    def median(self, measure: str) -> Cell: ...

    def count_sum(self, *measures: str) -> Cell: ...


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    compute: Callable[[Figures], Cell]
    note: str = ""


def _rate(num: str, den: str) -> Callable[[Figures], Cell]:
    return lambda f: f.share(num, den)


def _count(measure: str) -> Callable[[Figures], Cell]:
    return lambda f: f.measure(measure)


def _median(measure: str) -> Callable[[Figures], Cell]:
    return lambda f: f.median(measure)


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in [
        Indicator("total", "Concerns raised", _count("total:")),
        Indicator("anonymous_share", "Raised anonymously", _rate("route:anonymous", "total:")),
        Indicator(
            "ack_within",
            "Acknowledged within 2 working days",
            _rate("response:acknowledged_within", "response:acknowledged"),
            "Of the concerns acknowledged so far.",
        ),
        Indicator("ack_median", "Median days to acknowledge", _median("acknowledge")),
        Indicator(
            "feedback_within",
            "Feedback within 3 months of acknowledgement",
            _rate("response:feedback_within", "response:feedback"),
            "Of the concerns given feedback so far.",
        ),
        Indicator("feedback_median", "Median days to first feedback", _median("feedback")),
        Indicator("close_median", "Median days to close", _median("close")),
        Indicator(
            "open_now",
            "Open now",
            _count("open_now:"),
            "All open cases today, whenever raised.",
        ),
        Indicator(
            "overdue_now",
            "Overdue now",
            _count("overdue_now:"),
            "Open cases past their acknowledgement or feedback date today.",
        ),
        Indicator("still_open", "Raised in the period and still open", _count("response:open")),
        Indicator("referred", "Referred to another route", _count("status:referred")),
        Indicator("withdrawn", "Withdrawn by the reporter", _count("status:withdrawn")),
        Indicator("closed", "Closed with an outcome", _count("response:closed")),
        Indicator(
            "upheld_share",
            "Outcomes upheld or partly upheld",
            # Of two disclosed counts, not of their exact sum: withheld if either is.
            lambda f: f.share_of(
                f.count_sum("outcome:upheld", "outcome:partly"), f.measure("outcome:*")
            ),
        ),
        Indicator("detriment", "Detriment reported", _count("detriment:yes")),
        Indicator(
            "detriment_share", "Detriment reported (share)", _rate("detriment:yes", "total:")
        ),
        Indicator(
            "speak_up_again_yes",
            "Would speak up again: yes",
            _rate("speak_up_again:yes", "speak_up_again:*"),
            "Of those who answered.",
        ),
        Indicator(
            "speak_up_again_answers",
            "Answers to 'would you speak up again?'",
            _count("speak_up_again:*"),
        ),
        Indicator(
            "discrimination",
            "Concerns about discrimination or unfair treatment",
            _count("category:discrimination"),
        ),
        Indicator(
            "education_quality",
            "Concerns about education and training quality",
            _count("category:education-quality"),
        ),
    ]
}

RESPONSE_INDICATORS = [
    "total",
    "ack_within",
    "ack_median",
    "feedback_within",
    "feedback_median",
    "close_median",
    "open_now",
    "overdue_now",
    "still_open",
    "referred",
    "withdrawn",
    "closed",
    "upheld_share",
    "detriment",
    "detriment_share",
    "speak_up_again_answers",
    "speak_up_again_yes",
]

# Which indicators evidence each standard of interest (HEE Quality Framework 2021).
STANDARD_EVIDENCE: dict[str, list[str]] = {
    "1.7": ["total", "anonymous_share", "detriment", "detriment_share", "speak_up_again_yes"],
    "2.1": ["total", "anonymous_share"],
    "2.2": ["discrimination"],
    "2.3": ["discrimination", "upheld_share", "detriment"],
    "2.4": ["education_quality", "total", "referred"],
    "2.5": ["open_now", "overdue_now", "close_median"],
    "2.6": ["ack_within", "feedback_within", "ack_median", "feedback_median", "upheld_share"],
    "2.7": ["referred"],
    "2.8": ["total"],
}
STANDARD_EVIDENCE_NOTES: dict[str, str] = {
    "1.7": "Whether people feel safe to speak up: anonymity, detriment and willingness to "
    "speak up again.",
    "2.1": "Concerns reach the guardian from every learner group: see the breakdowns by "
    "reporter role and professional group.",
    "2.2": "Concerns about equality, diversity and inclusion seen at senior level.",
    "2.3": "Unfair treatment raised, and how often concerns are found to be justified.",
    "2.4": "This report is the route by which education concerns reach the Board.",
    "2.5": "Whether guardians have the capacity to respond: the open and overdue caseload.",
    "2.6": "Self-assessment: timeliness against the 2-working-day and 3-month standards.",
    "2.7": "Working with partners: concerns referred to other routes (see referrals).",
    "2.8": "The monthly trend: special-cause variation may follow a service change.",
}
