"""The errors an upstream client raises, and how a failure is classified and retried."""

import re
from json import detect_encoding
from json import dumps as json_dumps
from json import loads as json_loads
from typing import Any

import aiohttp
import httpx

# Answers that say "try again later" rather than "this request is wrong".
RETRYABLE_STATUS_CODES = frozenset({429, 502, 503, 504})
# An upstream's Retry-After is honoured up to this many seconds.
MAX_RETRY_AFTER = 30.0


class UpstreamError(Exception):
    """An upstream call failed; the one error type a client raises.

    Raised as is when the upstream answered with a non-2xx status (`status_code` and
    `body` set) or with a body that is not JSON. Its subclasses `UpstreamTimeout`
    and `UpstreamConnectionError` mean no (complete) answer came (`status_code` is
    None). The message names the method and the URL without its query string,
    which may carry credentials, and never includes the body, which may carry
    anything: code that needs the body reads `body`.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        url: str,
        status_code: int | None = None,
        body: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status_code = status_code
        self.body = body
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """No answer within the timeouts, or the call passed its total deadline."""


class UpstreamConnectionError(UpstreamError):
    """The connection could not be made or broke before the answer was complete."""


def error_url(url: httpx.URL) -> str:
    """The URL errors name: without the query string, which may carry credentials."""
    return str(url.copy_with(query=None))


def no_answer_error(exc: Exception, method: str, url: str) -> UpstreamError:
    """Classify a failure that left no answer: timeout, connection, or other."""
    # httpx-aiohttp reports every aiohttp connection error, even a refused
    # connection, as httpx.ConnectTimeout: the aiohttp error it wraps tells better.
    cause = exc.__cause__ if isinstance(exc.__cause__, aiohttp.ClientError) else exc
    what = type(cause).__name__
    if isinstance(cause, (httpx.TimeoutException, TimeoutError)):
        msg = f"{method} {url} timed out ({what})"
        return UpstreamTimeout(msg, method=method, url=url)
    if isinstance(
        cause,
        (
            httpx.NetworkError,
            httpx.RemoteProtocolError,
            aiohttp.ClientConnectionError,
            aiohttp.ClientPayloadError,
        ),
    ):
        msg = f"{method} {url}: connection failed ({what}: {cause})"
        return UpstreamConnectionError(msg, method=method, url=url)
    msg = f"{method} {url} failed ({what}: {cause})"
    return UpstreamError(msg, method=method, url=url)


# A `\uD800`-`\uDFFF` escape; most are halves of a valid pair (an emoji).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse_json(content: bytes) -> Any:
    """The JSON value in `content`; ValueError (or RecursionError) if it is not
    JSON text, including where Python's json module would read it anyway.

    An upstream's garbage must fail here, as an `UpstreamError`, not later in the
    app: `NaN` and `Infinity` (no JSON number: an answer of the app holding one
    fails with a 500), unpaired surrogates (`"\\ud800"`, or the bytes UTF-8 would
    give one: no UTF-8 text holds them, so the same), and arrays nested deeper
    than Python's recursion limit (a RecursionError, which escaped as itself).
    """
    # As json.loads(bytes) reads them, without its "surrogatepass".
    text = content.decode(detect_encoding(content))
    value = json_loads(text, parse_constant=_not_json)
    if _SURROGATE_ESCAPE.search(text) is not None:
        json_dumps(value, ensure_ascii=False).encode()  # an unpaired one fails
    return value


def json_or_error(method: str, url: httpx.URL, status: int, content: bytes) -> Any:
    """A 2xx answer's JSON body, None if it is empty, or an `UpstreamError`."""
    if not content:
        return None
    try:
        return parse_json(content)
    except (ValueError, RecursionError) as exc:
        target = error_url(url)
        raise UpstreamError(
            f"{method} {target} answered with a body that is not JSON",
            method=method,
            url=target,
            status_code=status,
            body=content.decode("utf-8", errors="replace"),
        ) from exc


def too_large_error(
    method: str, url: httpx.URL, status: int, max_bytes: int
) -> UpstreamError:
    """The error for an answer whose body passed `max_bytes` (none of it is kept)."""
    target = error_url(url)
    return UpstreamError(
        f"{method} {target} answered {status} with a body of more than {max_bytes} "
        "bytes (max_response_bytes)",
        method=method,
        url=target,
        status_code=status,
    )


def status_error(
    method: str, url: httpx.URL, status: int, headers: Any, content: bytes
) -> UpstreamError:
    """The error for a non-2xx answer, its body decoded as httpx would."""
    response = httpx.Response(status, headers=headers, content=content)
    target = error_url(url)
    # The body stays out of the message (it may echo secrets or personal data,
    # and messages end up in logs); code that needs it reads `body`.
    return UpstreamError(
        f"{method} {target} answered {status}",
        method=method,
        url=target,
        status_code=status,
        body=response.text,
        retry_after=retry_after(response),
    )


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the upstream asked us to wait (delta-seconds form only), capped."""
    value = response.headers.get("Retry-After", "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return min(float(value), MAX_RETRY_AFTER)


def retry_backoff(exc: Exception) -> bool | float:
    """Tell stamina whether to retry, and after how long if the upstream said."""
    if isinstance(exc, (UpstreamTimeout, UpstreamConnectionError)):
        return True
    if isinstance(exc, UpstreamError) and exc.status_code in RETRYABLE_STATUS_CODES:
        return True if exc.retry_after is None else exc.retry_after
    return False
