"""The signals stage: the strategy API, strategy loading, and exit rules (DESIGN.md §2)."""
