from django.dispatch import Signal

# Sent after the transaction that recorded a case event commits. Arguments: event_id,
# case_id, kind. Receivers (notifications/) get ids and kinds only, never content.
case_event_recorded = Signal()
