"""Rendering results for people: terminal now; JSON, HTML and Markdown next."""
