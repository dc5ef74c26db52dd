"""The signals stage: the strategy API, strategy loading, and exit rules (docs/strategies.md)."""
