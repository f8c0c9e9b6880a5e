"""Each Nameko service implements exactly the RPC methods of its contract (its typed
client in ``contracts``), with the same parameters and the same models."""

from __future__ import annotations

import importlib
import inspect
import typing

import pytest
from contracts import ALL_SERVICES
from contracts.client import ServiceClient, rpc_methods
from nameko.rpc import Rpc


def service_class(name: str):
    module = importlib.import_module(f"{name}.service")
    classes = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj) and getattr(obj, "name", None) == name
    ]
    assert len(classes) == 1, f"{name}.service must define exactly one service class"
    return classes[0]


def served_methods(cls) -> dict[str, typing.Callable]:
    methods = {}
    for attr, value in vars(cls).items():
        entrypoints = getattr(value, "nameko_entrypoints", set())
        if any(isinstance(e, Rpc) for e in entrypoints):
            methods[attr] = value
    return methods


def parameters(function) -> list[tuple[str, object]]:
    return [
        (p.name, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name != "self"
    ]


def hints(function) -> dict[str, object]:
    return typing.get_type_hints(inspect.unwrap(function), include_extras=True)


@pytest.mark.parametrize("name", sorted(ALL_SERVICES))
def test_service_rpcs_are_exactly_the_contract(name):
    contract = ALL_SERVICES[name]
    served = served_methods(service_class(name))
    promised = rpc_methods(contract) if issubclass(contract, ServiceClient) else {}
    if not promised:  # a contract not yet typed: its methods only
        promised = {
            attr: inspect.signature(value)
            for klass in reversed(contract.__mro__)
            for attr, value in vars(klass).items()
            if inspect.isfunction(value) and not attr.startswith("_")
        }
    assert sorted(served) == sorted(promised)
    for method in promised:
        assert parameters(served[method]) == parameters(getattr(contract, method)), (
            method
        )


@pytest.mark.parametrize(
    "name",
    sorted(n for n, c in ALL_SERVICES.items() if issubclass(c, ServiceClient)),
)
def test_service_rpcs_take_and_answer_the_contract_models(name):
    """The service reads each argument and writes each reply with exactly the type
    its client declares: a model changed on one side only fails here."""
    contract = ALL_SERVICES[name]
    served = served_methods(service_class(name))
    for method in rpc_methods(contract):
        assert hints(served[method]) == hints(getattr(contract, method)), method


@pytest.mark.parametrize("name", sorted(ALL_SERVICES))
def test_every_contract_method_is_documented(name):
    contract = ALL_SERVICES[name]
    for method in [m for m in dir(contract) if not m.startswith("_")]:
        value = getattr(contract, method)
        if inspect.isfunction(value):
            assert value.__doc__ and value.__doc__.strip(), f"{name}.{method}"
