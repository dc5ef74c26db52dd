"""The data stage: real FX files in, canonical UTC bars and ticks out (docs/data.md)."""
