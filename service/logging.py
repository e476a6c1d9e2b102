"""Structured JSON logs carrying the request id of the request being served."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback
from contextvars import ContextVar
from types import TracebackType

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def safe_exception(exc_info: _ExcInfo | tuple[None, None, None]) -> str:
    """The traceback's frames and exception class names, never a message: an error's text
    (a database error's row, a validation error's input) may carry personal data."""
    exc = exc_info[1]
    parts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = "".join(traceback.format_tb(exc.__traceback__))
        parts.append(
            f"Traceback (most recent call last):\n{frames}"
            f"{type(exc).__module__}.{type(exc).__qualname__}"
        )
        exc = exc.__cause__ or exc.__context__
    return "\n\nwhile handling, caused by:\n".join(reversed(parts)) if parts else ""


class _SafeMixin:
    """Zoned ISO 8601 times and message-free tracebacks."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        return moment.isoformat(timespec="milliseconds")

    def formatException(self, ei: object) -> str:
        return safe_exception(ei)  # type: ignore[arg-type]


class SafeJsonFormatter(_SafeMixin, JsonFormatter):
    pass


class SafeTextFormatter(_SafeMixin, logging.Formatter):
    pass


class _DropColour(logging.Filter):
    """uvicorn puts a copy of its message with terminal colour codes in ``color_message``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        return True


def configure_logging(level: str = "INFO", json_output: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(_DropColour())
    if json_output:
        handler.setFormatter(
            SafeJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(
            SafeTextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Access lines come from our own middleware, with the route template and request id.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
