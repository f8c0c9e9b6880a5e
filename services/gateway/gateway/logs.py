"""JSON logging for the gateway's processes (the same line shape as the services)."""

from __future__ import annotations

import logging.config
import os

from pythonjsonlogger.json import JsonFormatter


def configure(level: str | None = None) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"context": {"()": "gateway.middleware.RequestIdFilter"}},
            "formatters": {
                "json": {
                    "()": JsonFormatter,
                    "fmt": "%(levelname)s %(name)s %(message)s",
                    "rename_fields": {"levelname": "level", "name": "logger"},
                    "timestamp": "ts",
                }
            },
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "filters": ["context"],
                    "stream": "ext://sys.stdout",
                }
            },
            "root": {
                "level": level or os.environ.get("LOG_LEVEL", "INFO"),
                "handlers": ["console"],
            },
        }
    )
