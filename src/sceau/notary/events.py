"""The journal tags notary writes (notices, timestamps and signatures).

Written and read only through this enum, never as strings spelled again elsewhere.
"""

from sceau.journal.events import EventTag


class NotaryEvent(EventTag):
    NOTICE_CREATED = "notary:notice:created"
    NOTICE_STAMPED = "notary:notice:stamped"
    PDF_SIGNED = "notary:pdf:signed"
