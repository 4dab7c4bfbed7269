"""Logging pieces for settings.LOGGING and gunicorn.conf.py: a filter that strips secrets
from every record, and a JSON formatter (one object per line).

Plain Python only (no Django import): gunicorn's master loads it before the application.
"""

import json
import logging
import re
from datetime import UTC, datetime

REDACTED = "[redacted]"

# `name=value` in query strings, form bodies and messages: dyndns2's password, the key of
# ACME clients, TSIG secrets, API tokens.
_PARAMETER = re.compile(
    r"(?i)\b(password|passwd|pass|pwd|secret|token|tsig_secret|api_key|apikey|key)"
    r"(=|%3D)([^&\s\"',;]+)"
)
# An Authorization header's value, as a header line or a dict/JSON entry.
_AUTHORIZATION = re.compile(
    r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(basic|bearer|token|digest)?\s*[^\s'\",;&]+"
)
# A personal API token wherever it appears (a Bearer header, a query, a body).
_API_TOKEN = re.compile(r"\bddns_[A-Za-z0-9_-]{43}")
# The password of URL userinfo: scheme://user:password@host.
_USERINFO = re.compile(r"(://[^/\s:@]*:)[^/\s@]+@")


def redact(text: str) -> str:
    """The text with every secret it may carry replaced by [redacted]."""
    text = _API_TOKEN.sub("ddns_" + REDACTED, text)
    text = _PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _AUTHORIZATION.sub(lambda m: m.group(1) + REDACTED, text)
    return _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)


# What a LogRecord holds of its own; anything else was passed as `extra`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactSecrets(logging.Filter):
    """Rewrite each record so no handler after it can write a secret: the message with its
    arguments, the traceback and every extra string field."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(_message(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # the redacted text stands for it from here on
        for name, value in extra_fields(record).items():
            if isinstance(value, str):
                setattr(record, name, redact(value))
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError):
        # Arguments that do not fit the format: keep both, as logging itself would show.
        return f"{record.msg} {record.args!r}"


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the `extra` fields, and the
    traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(extra_fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        # Objects among the extras (django.request attaches the request, whose text holds
        # the query string) are written as redacted text: the filter sees only strings.
        return json.dumps(entry, default=lambda value: redact(str(value)), ensure_ascii=False)
