"""The run record: the SQLite store (the only SQL), the run index and the journal of events."""
