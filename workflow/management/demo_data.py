"""The demo's people, places and words (the ``demo`` command's data, kept apart from its logic)."""

from __future__ import annotations

from concerns.models import Organisation
from concerns.roles import Role

ORGANISATIONS = [
    (
        "RX1",
        "North Placement NHS Foundation Trust",
        Organisation.Kind.TRUST,
        ["Emergency Department", "Maternity", "Acute Medicine", "General Surgery", "Paediatrics"],
    ),
    (
        "RY2",
        "South Coast Teaching Hospitals NHS Trust",
        Organisation.Kind.TRUST,
        ["Theatres", "Critical Care", "Outpatients", "Radiology"],
    ),
    (
        "RZ3",
        "Hillside Community Health NHS Trust",
        Organisation.Kind.COMMUNITY,
        ["District Nursing", "Community Mental Health", "Health Visiting"],
    ),
    (
        "M85001",
        "Riverside Medical Practice",
        Organisation.Kind.GP_PRACTICE,
        ["Clinical Team", "Reception and Administration"],
    ),
]

# username, role, organisations, first name, last name
STAFF = [
    ("gemma", Role.GUARDIAN, ["RX1", "M85001"], "Gemma", "Okafor"),
    ("sam", Role.GUARDIAN, ["RX1"], "Sam", "Whitfield"),
    ("priya", Role.GUARDIAN, ["RY2"], "Priya", "Raman"),
    ("tom", Role.GUARDIAN, ["RZ3", "M85001"], "Tom", "Hughes"),
    ("leo", Role.LEAD_GUARDIAN, ["RX1", "RY2", "RZ3", "M85001"], "Leo", "Marsh"),
    ("cara", Role.COMMITTEE, ["RX1", "RY2", "RZ3", "M85001"], "Cara", "Lindqvist"),
    ("ada", Role.ADMIN, [], "Ada", "Byrne"),
]
REPORTERS = [
    ("rob", "Rob", "Ellis"),
    ("nadia", "Nadia", "Hussain"),
    ("owen", "Owen", "Price"),
    ("lucy", "Lucy", "Adeyemi"),
    ("femi", "Femi", "Clarke"),
]

DESCRIPTIONS = {
    "patient-safety": [
        "On nights in {dept} there is often one registrar covering two wards. Last week a "
        "deteriorating patient waited over an hour for review and I was told not to escalate.",
        "Controlled drug checks in {dept} are being signed by one person only. I raised it "
        "informally and was told that is how it is done here.",
        "Equipment in {dept} has been broken for weeks and we are improvising with what is "
        "to hand. I am worried a patient will be harmed.",
    ],
    "bullying-harassment": [
        "A senior colleague in {dept} regularly belittles students in front of patients. "
        "Several of us now avoid asking questions.",
        "I was shouted at during handover in {dept} for asking for help, and it has "
        "happened to others in my cohort too.",
    ],
    "inappropriate-behaviour": [
        "Comments about patients' appearance and background are made openly at the nurses' "
        "station in {dept}. Nobody challenges it.",
        "A supervisor in {dept} signs off competencies they have not observed.",
    ],
    "worker-safety": [
        "We regularly work through breaks in {dept} and staff are exhausted; two people "
        "fainted on shift this month.",
        "Learners in {dept} are asked to walk alone to the car park late at night after "
        "long shifts.",
    ],
    "education-quality": [
        "Teaching sessions in {dept} are cancelled almost every week and we are used to fill "
        "rota gaps instead of learning.",
        "I have had no named supervisor in {dept} for six weeks and my assessments are overdue.",
    ],
    "discrimination": [
        "International graduates in {dept} are given the worst shifts and are not offered "
        "the same training opportunities.",
        "A colleague in {dept} makes remarks about my religion and nothing changed after I "
        "mentioned it to my supervisor.",
    ],
    "other": [
        "The rota in {dept} is published with less than a week's notice, which makes caring "
        "responsibilities very hard to manage.",
    ],
}
OUTCOMES_HOPED = [
    "I would like the staffing to be reviewed.",
    "I want this to stop, without being identified.",
    "An apology and a change in behaviour.",
    "Protected teaching time that is actually protected.",
    "",
]
GUARDIAN_MESSAGES = [
    "Thank you for raising this. I have started looking into it and will keep you updated.",
    "Could you tell me roughly when this happened and whether anyone else saw it?",
    "I have met the department lead and shared your concern without identifying you.",
    "Here is what we found and what is changing as a result. Thank you for speaking up.",
]
REPORTER_REPLIES = [
    "Thank you. It happened on several shifts over the last month; two colleagues saw it.",
    "Thanks for the update. Things have been a little better this week.",
    "I appreciate you letting me know.",
]
NOTES = [
    "Spoke to the clinical director; agreed to review the rota informally first.",
    "Pattern similar to an earlier case in this department; flag at the next triangulation.",
    "Reporter prefers contact by the portal only.",
]
OUTCOME_TEXT = [
    ("upheld", "The staffing gaps were confirmed.", "A second registrar was added to nights."),
    ("partly", "Some incidents were confirmed, others could not be.", "Team training arranged."),
    ("not_upheld", "The review found the process had been followed.", "Guidance re-circulated."),
    ("undetermined", "Witnesses could not be identified.", "Awareness session held."),
]
LESSONS = [
    "Learners need a named contact on every shift.",
    "Escalation routes must be explained at induction.",
    "",
]
