"""Tools that build test material (generated golden sets)."""
