"""Keys, tokens and room ids never reach the server's logs: the access log's request lines have them blanked (a
room's id is its students' credential, and the room routes carry it in their path)."""

import logging
import re

SECRET_QUERY = re.compile(r"(?i)\b(token|key)=[^&\s\"]*")
ROOM_PATH = re.compile(r"(/api/rooms/)[^/?\s\"]+")


def redact(text: str) -> str:
    return ROOM_PATH.sub(r"\1[redacted]", SECRET_QUERY.sub(r"\1=[redacted]", text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access log and its error log (which logs stream openings), once each.
    Headers are not logged, so a query string is what could leak."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
