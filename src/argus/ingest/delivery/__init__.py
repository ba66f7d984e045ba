"""Delivery CSV files (deployments, CI pipelines, pull requests, commits, incidents): parse and store."""
