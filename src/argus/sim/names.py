"""Vocabularies for plausible names: projects, modules, tests, authors, dependencies.

All names are synthetic. Vulnerability ids use the year 2099 (``CVE-2099-NNNNN``) so they can never
be mistaken for real advisories.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProjectProfile:
    slug: str
    py_package: str  # import name of the Python package
    java_package: str  # Java package of the Maven module
    python_share: float  # share of tests written in Python (pytest); the rest are JUnit 5 (Surefire)
    nouns: tuple[str, ...]


PROFILES: tuple[ProjectProfile, ...] = (
    ProjectProfile(
        "acme-billing", "acme_billing", "com.acme.billing", 0.7,
        ("invoice", "refund", "payment", "tax", "currency", "ledger", "discount", "subscription", "webhook",
         "customer", "statement", "credit_note", "payout", "dunning", "pricing", "coupon", "receipt",
         "chargeback", "settlement", "exchange_rate"),
    ),
    ProjectProfile(
        "acme-inventory", "acme_inventory", "com.acme.inventory", 0.35,
        ("stock", "warehouse", "shipment", "reservation", "supplier", "barcode", "pallet", "picking",
         "replenishment", "location", "transfer", "catalog", "sku", "batch", "forecast", "returns",
         "carrier", "manifest", "audit_log", "cycle_count"),
    ),
    ProjectProfile(
        "acme-identity", "acme_identity", "com.acme.identity", 0.55,
        ("session", "token", "password", "mfa", "account", "role", "permission", "audit", "consent",
         "device", "login", "oauth_client", "saml", "scim", "invitation", "lockout", "email_verification",
         "api_key", "tenant", "group"),
    ),
)

MODULE_SUFFIXES: tuple[str, ...] = ("", "_service", "_store", "_policy", "_client", "_export", "_validation",
                                    "_events", "_api", "_jobs")
SUBPACKAGES: tuple[str, ...] = ("core", "api", "integrations", "storage")

VERBS: tuple[str, ...] = ("computes", "rejects", "rounds", "handles", "returns", "creates", "updates", "lists",
                          "validates", "serialises", "retries", "merges", "expires", "caches", "emits",
                          "parses", "applies", "skips", "paginates", "sorts", "locks", "archives")
OBJECTS: tuple[str, ...] = ("empty_input", "negative_amount", "unicode_names", "large_batch", "missing_field",
                            "duplicate_key", "expired_entry", "partial_failure", "zero_total", "max_length",
                            "concurrent_update", "default_values", "leap_day", "timezone_offset",
                            "invalid_state", "nested_items", "legacy_format", "rate_limit", "retry_budget",
                            "stale_cache", "null_optional", "bulk_import")
PARAMS: tuple[tuple[str, ...], ...] = (("eur", "usd", "gbp"), ("0", "1", "100"), ("sqlite", "postgres"),
                                       ("v1", "v2"), ("admin", "viewer"))
JAVA_PARAMS: tuple[str, ...] = ("String", "int", "BigDecimal", "Locale")

AUTHORS: tuple[tuple[str, str], ...] = (
    ("Alice Moreau", "alice.moreau"), ("Bogdan Ionescu", "bogdan.ionescu"), ("Chen Wei", "chen.wei"),
    ("Dara O'Neill", "dara.oneill"), ("Emeka Okafor", "emeka.okafor"), ("Freya Lindqvist", "freya.lindqvist"),
    ("Gustavo Pereira", "gustavo.pereira"), ("Hana Suzuki", "hana.suzuki"), ("Ines Duarte", "ines.duarte"),
    ("Jonas Becker", "jonas.becker"), ("Kavya Rao", "kavya.rao"), ("Liam Walsh", "liam.walsh"),
    ("Maja Nowak", "maja.nowak"), ("Nadia Haddad", "nadia.haddad"), ("Oskar Berg", "oskar.berg"),
    ("Priya Natarajan", "priya.natarajan"), ("Quentin Roux", "quentin.roux"), ("Rosa Martinez", "rosa.martinez"),
)

PY_DEPENDENCIES: tuple[tuple[str, str], ...] = (
    ("requests", "2.28.1"), ("urllib3", "1.26.12"), ("jinja2", "3.1.2"), ("pyyaml", "6.0"),
    ("cryptography", "41.0.1"), ("sqlalchemy", "2.0.19"), ("pydantic", "2.4.0"), ("certifi", "2023.5.7"),
    ("idna", "3.4"), ("werkzeug", "2.3.6"), ("pillow", "10.0.0"), ("lxml", "4.9.2"), ("aiohttp", "3.8.5"),
    ("protobuf", "4.23.4"), ("setuptools", "68.0.0"),
)
JAVA_DEPENDENCIES: tuple[tuple[str, str], ...] = (
    ("com.fasterxml.jackson.core:jackson-databind", "2.15.2"), ("org.yaml:snakeyaml", "1.33"),
    ("io.netty:netty-codec-http", "4.1.94.Final"), ("org.apache.commons:commons-text", "1.10.0"),
    ("com.google.guava:guava", "32.0.1-jre"), ("org.postgresql:postgresql", "42.6.0"),
    ("ch.qos.logback:logback-classic", "1.4.8"), ("org.springframework:spring-web", "6.0.11"),
    ("com.squareup.okhttp3:okhttp", "4.11.0"), ("org.bouncycastle:bcprov-jdk18on", "1.75"),
)
VULN_TITLES: tuple[str, ...] = (
    "Denial of service via crafted input", "Improper certificate validation", "Path traversal in archive extraction",
    "Uncontrolled resource consumption when parsing headers", "Regular expression denial of service",
    "Information exposure through error messages", "Deserialization of untrusted data",
    "Server-side request forgery through redirects", "HTTP request smuggling", "Cross-site scripting in templates",
)
SEVERITIES: tuple[tuple[str, float], ...] = (("CRITICAL", 0.08), ("HIGH", 0.3), ("MEDIUM", 0.42), ("LOW", 0.2))


def camel(snake: str, upper_first: bool = False) -> str:
    """``refund_policy`` → ``refundPolicy`` (or ``RefundPolicy``)."""
    parts = [p for p in snake.split("_") if p]
    text = parts[0] + "".join(p.capitalize() for p in parts[1:])
    return text[0].upper() + text[1:] if upper_first else text


def base_verb(verb: str) -> str:
    """``applies`` → ``apply``, ``rounds`` → ``round``."""
    return verb[:-3] + "y" if verb.endswith("ies") else verb.removesuffix("s")
