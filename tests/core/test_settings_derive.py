"""Params derived from settings (core.settings.derive): no setting can be silently dropped."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from argus.analysis.delivery.schemas import DeliveryParams
from argus.analysis.delivery.service import params_from as delivery_params
from argus.analysis.failures.algo import miner_config
from argus.analysis.failures.miner import MinerConfig
from argus.analysis.flaky.schemas import FlakyParams
from argus.analysis.flaky.service import params_from
from argus.analysis.gates.schemas import GateParams, RuleMode
from argus.analysis.gates.service import params_from_settings
from argus.analysis.investigation.schemas import InvestigationParams
from argus.analysis.investigation.service import params_from as investigation_params
from argus.core.settings import (
    ClusterSettings,
    DeliverySettings,
    FlakySettings,
    GateSettings,
    InvestigationSettings,
    derive,
    not_params,
)


@pytest.fixture(autouse=True)
def no_gate_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """GateSettings also reads bare env names (DELTA_COVERAGE ...): keep the caller's out."""
    for name in GateSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)


@dataclasses.dataclass(frozen=True)
class Mark:
    """A distinct value per settings field, to see where each one lands."""

    field: str


#: (settings model, its Params, the function front doors call, values given to fields that are converted)
CASES: list[tuple[type[BaseModel], type[Any], Callable[[Any], Any], dict[str, Any]]] = [
    (FlakySettings, FlakyParams, params_from, {}),
    (GateSettings, GateParams, params_from_settings, {"rules": {"duration": "block", "new_high": "off"}}),
    (ClusterSettings, MinerConfig, miner_config, {}),
    (DeliverySettings, DeliveryParams, delivery_params, {}),
    (InvestigationSettings, InvestigationParams, investigation_params, {}),
]


@pytest.mark.parametrize(("model", "params_cls", "build", "given"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_every_setting_is_consumed_by_its_params_or_listed(
    model: type[BaseModel], params_cls: type[Any], build: Callable[[Any], Any], given: dict[str, Any]
) -> None:
    marks: dict[str, Any] = {name: Mark(name) for name in model.model_fields} | given
    params = build(model.model_construct(**marks))
    assert isinstance(params, params_cls)
    params_fields = {f.name for f in dataclasses.fields(params_cls)}
    exempt = not_params(model)
    for name in model.model_fields:
        if name in exempt:
            assert exempt[name].strip(), f"{model.__name__}.not_params[{name!r}] needs a reason"
            assert name not in params_fields, f"{name} is a {params_cls.__name__} field: do not exempt it"
        else:
            assert getattr(params, name) is marks[name], f"{model.__name__}.{name} does not reach {params_cls.__name__}"
    assert set(exempt) <= set(model.model_fields)


def test_gate_rules_become_modes() -> None:
    p = params_from_settings(GateSettings(rules={"duration": "block"}))
    assert p.modes["duration"] is RuleMode.BLOCK and p.modes["coverage_drop"] is RuleMode.BLOCK
    assert p.baseline_runs == 10 and p.aggregate == "median"


def test_defaults_derive_to_the_documented_params() -> None:
    assert params_from(FlakySettings()) == FlakyParams()
    default_modes = GateSettings().rules
    assert params_from_settings(GateSettings()) == GateParams(modes={k: RuleMode(v) for k, v in default_modes.items()})


class Knobs(BaseModel):
    threshold: float = 0.5
    window: int = 10
    verbose: bool = False

    not_params: ClassVar[dict[str, str]] = {"verbose": "output only"}


@dataclasses.dataclass(frozen=True)
class KnobParams:
    threshold: float = 0.1
    window: int = 1
    constant: float = 3.0


def test_derive_takes_same_named_fields_and_overrides() -> None:
    assert derive(KnobParams, Knobs(threshold=0.7)) == KnobParams(0.7, 10, 3.0)
    assert derive(KnobParams, Knobs(), window=99) == KnobParams(0.5, 99, 3.0)


def test_a_new_setting_without_a_params_field_is_refused() -> None:
    class MoreKnobs(Knobs):
        forgotten: int = 1

    with pytest.raises(TypeError, match=r"MoreKnobs fields \['forgotten'\] reach no field of KnobParams"):
        derive(KnobParams, MoreKnobs())


def test_derive_refuses_stale_exemptions_unknown_overrides_and_mutable_params() -> None:
    class Stale(Knobs):
        not_params: ClassVar[dict[str, str]] = {"verbose": "output only", "gone": "removed setting"}

    with pytest.raises(TypeError, match=r"not_params names \['gone'\]"):
        derive(KnobParams, Stale())
    with pytest.raises(TypeError, match=r"overrides \['typo'\]"):
        derive(KnobParams, Knobs(), typo=1)

    @dataclasses.dataclass
    class Mutable:
        threshold: float = 0.1
        window: int = 1

    with pytest.raises(TypeError, match="not a frozen dataclass"):
        derive(Mutable, Knobs())
