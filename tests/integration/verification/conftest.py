"""Fixtures of the verification tests over the real stack (``stack_world``): the world
once for the package, and before each test every process up with one ordinary
verification copy (``w``) or verification stopped (``w_stopped``).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.integration.verification.stack_world import World, make_ready


@pytest.fixture(scope="package")
def world(stack, isolation):
    engine = sa.create_engine(isolation.db_url("verification"))
    w = World(stack, engine, stack.authority_registry)
    yield w
    # leave one ordinary copy for the next package
    w.stop_verification()
    stack.start("verification")
    engine.dispose()


@pytest.fixture
def w(world):
    """The world, with every real process up and one ordinary verification copy."""
    return make_ready(world, verification=True)


@pytest.fixture
def w_stopped(world):
    """The world with verification stopped (kill -9): accounts' events wait in
    its queues until the test starts the copies it needs."""
    return make_ready(world, verification=False)
