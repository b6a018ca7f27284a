"""Project tools: screenshot export."""
