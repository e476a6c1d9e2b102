"""Statistics helpers that need no database: disclosure control for published tables."""
