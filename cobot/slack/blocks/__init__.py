"""Block Kit built by small pure functions, one module per feature."""
