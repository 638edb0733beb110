"""The result contract read off run rows: per-point tallies and the summary table, interval
statistics (Wilson, Newcombe, means), and the table formats (Markdown, CSV, LaTeX, JSON)."""
