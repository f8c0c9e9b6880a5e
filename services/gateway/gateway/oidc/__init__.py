"""The OpenID Provider's HTTP endpoints (spec sso.md), on Authlib's
framework-agnostic server components; ``routes.add_routes`` registers them."""
