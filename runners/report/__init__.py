"""Reports and baselines: the data read from a record, rendered as Markdown, HTML and SVG charts."""
