"""loadwatch: k6 process, run engine, run record, demo target and CLI; free of any UI."""
