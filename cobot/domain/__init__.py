"""Pure rules and value types: no Slack, no SQL, no clock reads."""
