"""The journal tags vault writes (keys and blobs).

Written and read only through this enum, never as strings spelled again elsewhere.
"""

from sceau.journal.events import EventTag


class VaultEvent(EventTag):
    KEY_ROTATED = "vault:key:rotated"
