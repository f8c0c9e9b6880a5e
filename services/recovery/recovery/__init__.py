"""The recovery service."""
