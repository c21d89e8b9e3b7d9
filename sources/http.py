"""HTTP fetching for feeds and files: retries with backoff, truncation detection, conditional GET.

A body shorter than its Content-Length is never returned (it raises, and is retried), so a cut
download cannot be published. Conditional GET (ETag / Last-Modified) lets an unchanged feed cost
one empty 304 response.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime

import httpx

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


class FetchError(RuntimeError):
    """The resource could not be fetched (after retries, or a status that retrying cannot fix)."""

    def __init__(self, message: str, status: int | None = None, retryable: bool | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status that stopped it, when there was one
        self._retryable = retryable

    @property
    def retryable(self) -> bool:
        """False for answers retrying cannot change (404, 403 ..., a host name that does not resolve)."""
        if self._retryable is not None:
            return self._retryable
        return self.status is None or self.status in RETRY_STATUS


@dataclass(frozen=True)
class Fetched:
    content: bytes | None  # None when the server answered 304 Not Modified
    etag: str | None
    last_modified: str | None
    status: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def served_date(last_modified: str | None) -> date | None:
    """The date in an HTTP Last-Modified header ('Tue, 01 Apr 2025 10:00:00 GMT'), if readable."""
    if not last_modified:
        return None
    try:
        return parsedate_to_datetime(last_modified).date()
    except (TypeError, ValueError):
        return None


def _wait_seconds(response: httpx.Response | None, attempt: int, backoff: float) -> float:
    if response is not None and (retry_after := response.headers.get("Retry-After")):
        try:
            return min(float(retry_after), 60.0)
        except ValueError:
            pass
    return backoff * (2**attempt)


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    attempts: int = 4,
    backoff: float = 0.5,
    timeout: float = 60.0,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET `url`, retrying transient failures; pass the previous etag/last_modified for a conditional GET."""
    request_headers = dict(headers or {})
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    last_error: str = ""
    for attempt in range(attempts):
        response = None
        try:
            with httpx.Client(timeout=timeout, follow_redirects=True) as client:
                response = client.get(url, headers=request_headers)
                body = response.content
            if response.status_code == 304:
                return Fetched(None, etag, last_modified, 304)
            if response.status_code in RETRY_STATUS:
                last_error = f"HTTP {response.status_code}"
            elif response.status_code >= 400:
                raise FetchError(
                    f"GET {url}: HTTP {response.status_code} {response.reason_phrase}", response.status_code
                )
            else:
                expected = response.headers.get("Content-Length")
                if expected is not None and "Content-Encoding" not in response.headers and int(expected) != len(body):
                    last_error = f"body cut short: {len(body)} of {expected} bytes"
                else:
                    return Fetched(
                        body, response.headers.get("ETag"), response.headers.get("Last-Modified"), response.status_code
                    )
        except (httpx.TransportError, httpx.DecodingError) as exc:  # incl. incomplete bodies, resets
            last_error = f"{type(exc).__name__}: {exc}"
        if attempt + 1 < attempts:
            wait = _wait_seconds(response, attempt, backoff)
            log.warning("GET %s failed (%s); retry %d/%d in %.1fs", url, last_error, attempt + 1, attempts - 1, wait)
            time.sleep(wait)
    raise FetchError(f"GET {url} failed after {attempts} attempts: {last_error}")
