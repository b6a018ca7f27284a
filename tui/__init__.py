"""loadwatch: the TUI (Textual) that renders engine frames."""
