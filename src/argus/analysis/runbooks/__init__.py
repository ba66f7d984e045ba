"""Runbooks (indexed Markdown, BM25-ranked recommendations, feedback, proposed actions) and postmortems."""
