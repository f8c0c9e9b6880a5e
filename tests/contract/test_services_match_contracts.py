"""Each Nameko service implements exactly the RPC methods of its contract."""

from __future__ import annotations

import importlib
import inspect

import pytest
from contracts import ALL_SERVICES
from contracts.base import ServiceContract
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


def rpc_methods(cls) -> dict[str, inspect.Signature]:
    methods = {}
    for attr, value in vars(cls).items():
        entrypoints = getattr(value, "nameko_entrypoints", set())
        if any(isinstance(e, Rpc) for e in entrypoints):
            methods[attr] = inspect.signature(value)
    return methods


def contract_methods(contract) -> dict[str, inspect.Signature]:
    methods = {}
    for klass in reversed(contract.__mro__):
        if klass is object or not issubclass(klass, ServiceContract):
            continue
        for attr, value in vars(klass).items():
            if inspect.isfunction(value) and not attr.startswith("_"):
                methods[attr] = inspect.signature(value)
    return methods


def parameters(signature: inspect.Signature) -> list[str]:
    return [p for p in signature.parameters if p != "self"]


@pytest.mark.parametrize("name", sorted(ALL_SERVICES))
def test_service_rpcs_are_exactly_the_contract(name):
    contract = ALL_SERVICES[name]
    implemented = rpc_methods(service_class(name))
    promised = contract_methods(contract)
    assert sorted(implemented) == sorted(promised)
    for method, signature in promised.items():
        assert parameters(implemented[method]) == parameters(signature), method


@pytest.mark.parametrize("name", sorted(ALL_SERVICES))
def test_every_contract_method_is_documented(name):
    for method in contract_methods(ALL_SERVICES[name]):
        doc = getattr(ALL_SERVICES[name], method).__doc__
        assert doc and doc.strip(), f"{name}.{method} has no docstring"
