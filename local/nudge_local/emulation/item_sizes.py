"""The size of a stored item, kept on moto's item for the local bill (bill/counters.py) — kept only while the
speed-ups are installed (speedups.py): moto_patches drops it when an update changes the item in place (a put
makes a new item); plain moto does not, so plain, every read measures the item again."""

import threading

# The attribute the size is kept in, on a moto item.
STORED_SIZE = "_nudge_stored_size"
# Held while a size is measured and kept, and while an update drops it: a read measuring an item as an
# update changes it cannot keep the old size past the update.
stored_size_lock = threading.Lock()
