"""Parameter objects derived from settings, never copied field by field.

An algorithm's Params (a frozen dataclass in ``analysis/<cap>/schemas.py``) takes every field of its
capability's settings model with the same name. A settings field that is no parameter of the
algorithm is listed, with the reason, in the model's ``not_params`` class variable; any other
settings field that has no Params field of its name makes :func:`derive` raise, so a new setting
cannot be dropped silently on its way to the algorithm.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

P = TypeVar("P", bound="DataclassInstance")


def not_params(model: type[BaseModel]) -> Mapping[str, str]:
    """The fields of ``model`` that are no algorithm parameter, with where each goes instead."""
    exempt: Mapping[str, str] = getattr(model, "not_params", {})
    return exempt


def derive(params_cls: type[P], settings: BaseModel, **overrides: Any) -> P:
    """``params_cls`` built from the fields of ``settings`` of the same name, then ``overrides``.

    Params fields the settings do not have keep their defaults (the algorithm's own constants).
    Raises ``TypeError`` when ``params_cls`` is not a frozen dataclass, an override names no Params
    field, or a settings field is neither a Params field nor listed in the model's ``not_params``
    (nor is a listed name a settings field: the list stays true).
    """
    if not (dataclasses.is_dataclass(params_cls) and params_cls.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise TypeError(f"{params_cls.__name__} is not a frozen dataclass")
    model = type(settings)
    params = {f.name for f in dataclasses.fields(params_cls) if f.init}
    fields = set(model.model_fields)
    exempt = set(not_params(model))
    problems = []
    if unknown := sorted(set(overrides) - params):
        problems.append(f"overrides {unknown} are no fields of {params_cls.__name__}")
    if dropped := sorted(fields - params - exempt):
        problems.append(
            f"{model.__name__} fields {dropped} reach no field of {params_cls.__name__}: add a field of that "
            f"name to {params_cls.__name__} or list it in {model.__name__}.not_params"
        )
    if stale := sorted(exempt - fields):
        problems.append(f"{model.__name__}.not_params names {stale}, which are no settings fields")
    if problems:
        raise TypeError("; ".join(problems))
    values = {name: getattr(settings, name) for name in sorted(fields & params)}
    values.update(overrides)
    return params_cls(**values)
