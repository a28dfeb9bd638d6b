"""Every write to a concern or case, by purpose. Keyword-only, typed, atomic; each leaves a
case event, which is also the outbox notifications/ delivers from after commit.

- ``raising``: ``NewConcern`` and ``concern_raise``, with every rule of raising
- ``transitions``: one function per transition of the case, and ``BY_NAME``
- ``handling``: what guardians do besides moving a case (assign, message, note, outcome,
  detriment, triage, reveal)
- ``reporter``: what the reporter does on their own concern
- ``files``: the one check of an uploaded file, and files on messages and notes
- ``notices``: reminders, escalations and follow-ups, recorded by the system

Nothing is re-exported: a caller imports the module it needs
(``from workflow.services import transitions``), so each call says what kind of write it is.
"""
