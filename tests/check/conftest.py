"""The corpus is code to check, not tests to run."""

collect_ignore = ["corpus"]
