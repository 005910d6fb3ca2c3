"""Cross-cutting pieces: settings."""
