"""Use cases, one module per feature; each public call is one transaction."""
