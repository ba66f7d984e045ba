"""Core: settings, database engine and unit of work, errors, shared enums. Imports nothing of argus."""
