from django.dispatch import Signal

# Sent after the transaction that recorded a case event commits. Arguments: event_id,
# case_id, kind, and case_row: the case's committed CASE_ROW_FIELDS, read once for every
# receiver (None if the case is gone). Receivers (notifications/, reports/) get ids, kinds
# and these plain fields only, never content.
case_event_recorded = Signal()

CASE_ROW_FIELDS = (
    "organisation_id",
    "assigned_guardian_id",
    "route",
    "status",
    "raised_at",
    "due_at",
)
