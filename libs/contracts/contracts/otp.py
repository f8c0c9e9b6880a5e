"""Contract of the ``otp`` service: image captchas, SMS codes, SMS delivery."""

from __future__ import annotations

from contracts.base import ServiceContract


class OtpContract(ServiceContract):
    name = "otp"
    events = ()
