"""loadwatch: data sources with timeouts and error states, free of any UI."""
