"""Translators that turn an existing repository's declarations into the data `conformance fix`
feeds its templates (for now: a Drizzle schema into Convex tables)."""
