from __future__ import annotations

from argus.evaluation.identity import truth_identity
from argus.ingest.testreports.identity import make_identity


def test_pytest_and_surefire_ids_map_to_stored_identities() -> None:
    assert truth_identity("tests/api/test_login.py::test_ok[eur]") == make_identity(
        None, "tests.api.test_login", "test_ok[eur]", None
    )
    assert truth_identity("tests/test_x.py::TestCart::test_add") == make_identity(
        None, "tests.test_x.TestCart", "test_add", None
    )
    assert truth_identity("com.acme.billing.RefundServiceTest.refundsRounding") == make_identity(
        None, "com.acme.billing.RefundServiceTest", "refundsRounding", None
    )
