"""HTTP fetching for feeds and files, within limits: one deadline, one size cap, one retry budget.

Every fetch runs under its source's `Limits`:
- a total deadline for the whole fetch (every attempt, every wait, every byte): a server that
  drips its body cannot hold a run for longer, whatever the per-read timeout;
- a size cap: an announced length over it is refused before the body is read, a body that grows
  over it is cut off and refused;
- one retry budget (`attempts`), spent here only: retries happen for retryable answers (408, 425,
  429, 5xx, dropped connections, bodies cut short) with backoff that honours Retry-After. Prefect
  tasks do not retry a fetch on top of it, and the Hugging Face client's own retries are its budget
  (common/hub.py adds none), so tries are never multiplied;
- redirects are followed by hand: never to another scheme (http -> https excepted), never to
  another host unless the source declares it (`redirect_hosts`), at most MAX_REDIRECTS;
- a host name that does not resolve (no network, or a wrong name) is never retried: `Unresolved`
  at once, one line (`check_resolves` asks before a client that would retry it, e.g. the Hub's).

A body shorter than its Content-Length is never returned, so a cut download cannot be published.
Conditional GET (ETag / Last-Modified) lets an unchanged feed cost one empty 304 response; the
validators are kept as metadata (meta.feed_validators), never as the date of the data.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin, urlparse

import httpx

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
REDIRECT_STATUS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
SCHEMES = ("http", "https")

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one fetch may cost (a source declares its own: `Source.limits`)."""

    deadline_seconds: float = 300.0  # the whole fetch, retries and waits included
    max_bytes: int = 200 * 2**20  # the largest body accepted
    attempts: int = 4  # tries in all: the fetch's only retry budget
    read_timeout: float = 30.0  # one read; the deadline bounds the total
    backoff_seconds: float = 0.5  # first wait between tries, doubled each time (or Retry-After)
    redirect_hosts: tuple[str, ...] = ()  # hosts other than the URL's own a redirect may lead to


DEFAULT_LIMITS = Limits()


class FetchError(RuntimeError):
    """The resource could not be fetched (after retries, or an answer retrying cannot change)."""

    def __init__(self, message: str, status: int | None = None, retryable: bool | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status that stopped it, when there was one
        self._retryable = retryable

    @property
    def retryable(self) -> bool:
        """False for answers retrying cannot change (404, 403, a refused redirect, a cap exceeded ...)."""
        if self._retryable is not None:
            return self._retryable
        return self.status is None or self.status in RETRY_STATUS


class Refused(FetchError):
    """Refused by a limit or a rule (size cap, deadline, scheme, host): never retried."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message, status, retryable=False)


class Unresolved(FetchError):
    """The host name does not resolve: offline, or a wrong name. Retrying within a run cannot help
    (a resolver that failed a second ago fails again), so it is never retried: the next run tries."""

    def __init__(self, host: str, detail: str):
        super().__init__(f"cannot resolve {host} ({detail}; no network?): nothing fetched from it this run",
                         retryable=False)  # fmt: skip
        self.host = host


@dataclass(frozen=True)
class Fetched:
    content: bytes | None  # None when the server answered 304 Not Modified
    etag: str | None
    last_modified: str | None
    status: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url(url: str) -> None:
    """Only http(s) URLs are fetched (a `file://` location is refused: local data is a path)."""
    scheme = urlparse(url).scheme.lower()
    if scheme not in SCHEMES:
        raise Refused(f"refusing {url!r}: only http and https URLs are fetched (a local file is given as a path)")


RESOLVE_SECONDS = 10.0  # a resolver silent this long counts as "does not resolve"
REMEMBER_UNRESOLVED_SECONDS = 60.0  # the sources of one run that share a host ask for it once
_unresolved: dict[str, tuple[float, str]] = {}  # host -> (when it failed, why)


def name_error(exc: BaseException) -> socket.gaierror | None:
    """The resolver's error behind a connection error (httpx keeps it as the cause), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, socket.gaierror):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def unresolved(exc: BaseException, url: str = "") -> Unresolved | None:
    """`Unresolved` for an error the resolver caused (a name that does not resolve), else None.
    `url`: what was asked, for the host name when the error does not carry its request."""
    if (unknown := name_error(exc)) is None:
        return None
    try:
        host = exc.request.url.host  # httpx errors know their request (a redirect's host, maybe)
    except (AttributeError, RuntimeError):
        host = urlparse(url).hostname or "the host"
    return Unresolved(host, unknown.strerror or str(unknown))


def _via_proxy(url: str) -> bool:
    """True when the environment sends this URL through a proxy (which resolves the name itself)."""
    parts = urlparse(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme.lower()) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parts.hostname or "")


def check_resolves(url: str, seconds: float = RESOLVE_SECONDS) -> None:
    """Raise `Unresolved` at once if the URL's host name does not resolve.

    Asked before handing a URL to a client that retries connection errors by itself (the Hub
    client retries a DNS failure 5 times, ~23 s, logging 3 lines a try). One lookup (the system
    resolver, as the client would); skipped when a proxy carries the request. A failure is
    remembered for REMEMBER_UNRESOLVED_SECONDS, so a run's other sources on that host do not ask
    (nor wait for a silent resolver) again."""
    host = urlparse(url).hostname
    if not host or _via_proxy(url):
        return
    if (failed := _unresolved.get(host)) and time.monotonic() - failed[0] < REMEMBER_UNRESOLVED_SECONDS:
        raise Unresolved(host, failed[1])
    port = urlparse(url).port or (443 if url.lower().startswith("https") else 80)
    try:
        within_deadline(f"resolve {host}", lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM), seconds)
        return
    except socket.gaierror as exc:
        detail = exc.strerror or str(exc)
    except Refused:
        detail = f"no answer from the resolver within {seconds:g} s"
    _unresolved[host] = (time.monotonic(), detail)
    raise Unresolved(host, detail)


def _check_redirect(origin: str, current: str, target: str, limits: Limits) -> None:
    before, after = urlparse(current), urlparse(target)
    if after.scheme.lower() != before.scheme.lower() and (before.scheme.lower(), after.scheme.lower()) != (
        "http",
        "https",
    ):
        raise Refused(f"refusing the redirect from {current!r} to {target!r}: another scheme")
    allowed = {urlparse(origin).hostname, *limits.redirect_hosts}
    if after.hostname not in allowed:
        raise Refused(
            f"refusing the redirect from {current!r} to {target!r}: another host "
            f"({after.hostname!r}; a source lists the hosts it trusts in its limits)"
        )


def _wait_seconds(response: httpx.Response | None, attempt: int, backoff: float) -> float:
    if response is not None and (retry_after := response.headers.get("Retry-After")):
        try:
            return min(float(retry_after), 60.0)
        except ValueError:
            pass
    return backoff * (2**attempt)


class _Retry(Exception):
    """One try failed in a way another try may not."""

    def __init__(self, reason: str, response: httpx.Response | None = None):
        super().__init__(reason)
        self.response = response


def _one_try(client: httpx.Client, url: str, headers: dict[str, str], limits: Limits, deadline: float) -> Fetched:
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Refused(f"GET {url}: no complete answer within the deadline of {limits.deadline_seconds:g} s")
        timeout = httpx.Timeout(min(limits.read_timeout, remaining))
        with client.stream("GET", current, headers=headers, timeout=timeout) as response:
            if response.status_code == 304:
                return Fetched(None, headers.get("If-None-Match"), headers.get("If-Modified-Since"), 304)
            if response.status_code in REDIRECT_STATUS and "Location" in response.headers:
                target = urljoin(current, response.headers["Location"])
                _check_redirect(url, current, target, limits)
                current = target
                continue
            if response.status_code in RETRY_STATUS:
                raise _Retry(f"HTTP {response.status_code}", response)
            if response.status_code >= 400:
                raise FetchError(
                    f"GET {url}: HTTP {response.status_code} {response.reason_phrase}", response.status_code
                )
            announced = response.headers.get("Content-Length")
            if announced is not None and announced.isdigit() and int(announced) > limits.max_bytes:
                raise Refused(
                    f"GET {url}: announces {int(announced)} bytes, over this source's cap of {limits.max_bytes}"
                )
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limits.max_bytes:
                    raise Refused(f"GET {url}: body exceeds this source's cap of {limits.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise Refused(
                        f"GET {url}: no complete answer within the deadline of {limits.deadline_seconds:g} s "
                        f"({len(body)} bytes received)"
                    )
            if announced is not None and "Content-Encoding" not in response.headers and int(announced) != len(body):
                raise _Retry(f"body cut short: {len(body)} of {announced} bytes")
            return Fetched(
                bytes(body), response.headers.get("ETag"), response.headers.get("Last-Modified"), response.status_code
            )
    raise Refused(f"GET {url}: more than {MAX_REDIRECTS} redirects (a redirect loop?)")


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    headers: dict[str, str] | None = None,
) -> Fetched:
    """GET `url` within `limits`; pass the previous etag/last_modified for a conditional GET."""
    check_url(url)
    request_headers = dict(headers or {})
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + limits.deadline_seconds
    last_error = ""
    with httpx.Client(follow_redirects=False) as client:
        for attempt in range(limits.attempts):
            response = None
            try:
                return _one_try(client, url, request_headers, limits, deadline)
            except _Retry as exc:
                last_error, response = str(exc), exc.response
            except httpx.UnsupportedProtocol as exc:
                raise Refused(f"GET {url}: {exc}") from exc
            except (httpx.TransportError, httpx.DecodingError) as exc:  # incl. incomplete bodies, resets
                if (error := unresolved(exc, url)) is not None:
                    raise error from None
                last_error = f"{type(exc).__name__}: {exc}"
            if attempt + 1 < limits.attempts:
                wait = _wait_seconds(response, attempt, limits.backoff_seconds)
                if time.monotonic() + wait >= deadline:
                    break
                log.warning("GET %r failed (%s); retry %d/%d in %.1fs", url, last_error, attempt + 1,
                            limits.attempts - 1, wait)  # fmt: skip
                time.sleep(wait)
    raise FetchError(f"GET {url} failed after {attempt + 1} attempt(s): {last_error}")


def within_deadline(what: str, operation: Callable[[], T], seconds: float) -> T:
    """Run `operation` (a client call that has no total deadline of its own) for at most `seconds`.

    It runs in a daemon thread; past the deadline the fetch is refused and the thread is left to
    its own read timeout (it can no longer affect the run: its result is dropped)."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = operation()
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"aigap {what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise Refused(f"{what}: no complete answer within the deadline of {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
