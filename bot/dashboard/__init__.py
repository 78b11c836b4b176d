"""The web dashboard's drawing: server-side SVG charts and their CSV tables (issue 16)."""
