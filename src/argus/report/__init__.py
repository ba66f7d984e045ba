"""Renderings of analysis results for people and machines (Markdown, JSON, terminal, GitHub).

One module per report kind; shared helpers (Markdown escaping, truncation) live in :mod:`markdown`.
"""
