"""Widgets: they render and post messages; only screens call the core writers."""
