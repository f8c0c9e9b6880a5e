import pytest

from tests.unit.otp.fakes import FakeClock, FakeRandom, FakeStore, make_otp


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def rnd():
    return FakeRandom()


@pytest.fixture
def store():
    return FakeStore()


@pytest.fixture
def otp(store, clock, rnd):
    return make_otp(store=store, clock=clock, random=rnd)
