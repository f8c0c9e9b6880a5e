"""The otp service."""
