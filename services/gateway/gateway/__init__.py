"""The public HTTP API of the account platform."""
