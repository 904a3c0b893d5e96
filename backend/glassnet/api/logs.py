"""Keys and tokens never reach the server's logs: the access log's request lines have them blanked."""

import logging
import re

SECRET_QUERY = re.compile(r"(?i)\b(token|key)=[^&\s\"]*")


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(SECRET_QUERY.sub(r"\1=[redacted]", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = SECRET_QUERY.sub(r"\1=[redacted]", record.msg)
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access log and its error log (which logs stream openings), once each.
    Headers are not logged, so a query string is what could leak."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
