"""The CAS 3.0 façade over the portal session (spec sso.md): ``/cas/login``,
``/cas/p3/serviceValidate``, ``/cas/serviceValidate`` and ``/cas/logout``."""
