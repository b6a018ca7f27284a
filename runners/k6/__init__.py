"""k6 itself: finding the binary, its command line, the process, ingest of its JSON samples, stats and thresholds."""
