"""One error hierarchy for Escalator.

Two roots, as the user sees them: mistakes in what the user asked for or configured
(``UserError``: the CLI exits 2 and the message names the fix) and failures at run time
(``ProviderError`` and friends, which the engine turns into retries, escalations or a
stopped task).

::

    EscalatorError
    ├── UserError                      bad input or configuration (exit 2)
    │   ├── ConfigError                escalator.toml or a config value is invalid
    │   ├── InputError                 a bad argument: workspace, file, model key ...
    │   └── TaskLogError               the task log cannot be opened or written (names the path)
    ├── ProviderError                  a model call failed (carries provider, url, status)
    │   ├── EndpointUnreachable        connection refused/reset, DNS: transient
    │   │   └── CircuitOpen            endpoint marked down after repeated failures
    │   ├── ProviderTimeout            the client's timeout fired: transient
    │   │   └── EndpointHung           accepted, then silent, and fails a liveness probe
    │   ├── RateLimited                429, honours retry-after: transient
    │   ├── Overloaded                 529 / 503 busy: transient
    │   ├── ModelNotFound              the server does not know the model id
    │   ├── ModelNotLoaded             LM Studio: no model loaded
    │   ├── ContextOverflow            the prompt does not fit the context window
    │   ├── SpendLimitReached          the provider's spend cap: never retried
    │   ├── AuthenticationFailed       missing or rejected API key
    │   ├── BadRequest                 any other 4xx
    │   └── MalformedResponse          a 200 that carries an error or no answer
    ├── SandboxError                   the sandbox could not be created or cleaned
    └── BudgetExceeded                 a call would spend past a hard limit
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AuthenticationFailed",
    "BadRequest",
    "BudgetExceeded",
    "CircuitOpen",
    "ConfigError",
    "ContextOverflow",
    "EndpointHung",
    "EndpointUnreachable",
    "EscalatorError",
    "InputError",
    "MalformedResponse",
    "ModelNotFound",
    "ModelNotLoaded",
    "Overloaded",
    "ProviderError",
    "ProviderTimeout",
    "RateLimited",
    "SandboxError",
    "SpendLimitReached",
    "TaskLogError",
    "UserError",
]


class EscalatorError(Exception):
    """Base of every error Escalator raises on purpose."""


class UserError(EscalatorError):
    """Something the user asked for or configured is wrong; the message names the fix."""

    exit_code = 2


class ConfigError(UserError):
    """The configuration is invalid: names the key, the bad value and what is allowed."""

    def __init__(self, key: str, problem: str, *, source: str | None = None) -> None:
        self.key = key
        self.problem = problem
        self.source = source
        where = f" in {source}" if source else ""
        super().__init__(f"config key '{key}'{where}: {problem}")


class InputError(UserError):
    """A command-line or API argument is invalid."""


class TaskLogError(UserError):
    """The task log cannot be opened, read or written: names the file and the fix.

    A user's problem to fix (permissions, disk space, another process holding the lock,
    a path that is not a task log), so the CLI exits 2; the engine stops a task cleanly
    when it meets one mid-task.
    """

    def __init__(self, path: str, problem: str, fix: str) -> None:
        self.path = path
        self.problem = problem
        self.fix = fix
        super().__init__(f"task log {path}: {problem}; {fix}")


class ProviderError(EscalatorError):
    """A request to a model provider failed.

    ``transient`` errors are retried with backoff; the rest are not.
    """

    transient = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        url: str = "",
        status: int | None = None,
        body: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.url = url
        self.status = status
        self.body = body[:2000]
        self.headers = dict(headers or {})

    @property
    def kind(self) -> str:
        """Short snake_case name of the error class, used in logs and JSON."""
        name = type(self).__name__
        return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


class EndpointUnreachable(ProviderError):
    transient = True


class CircuitOpen(EndpointUnreachable):
    """Fails fast: the endpoint failed repeatedly and is in its cool-off period."""

    transient = False


class ProviderTimeout(ProviderError):
    transient = True


class EndpointHung(ProviderTimeout):
    """The server took the request, then went silent and no longer answers a liveness
    probe: a hung server or SSH tunnel. Not retried (it would only hang again)."""

    transient = False


class RateLimited(ProviderError):
    transient = True

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after_s = retry_after_s


class Overloaded(ProviderError):
    transient = True

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after_s = retry_after_s


class ModelNotFound(ProviderError):
    pass


class ModelNotLoaded(ProviderError):
    pass


class ContextOverflow(ProviderError):
    def __init__(
        self,
        message: str,
        *,
        prompt_tokens: int | None = None,
        context_length: int | None = None,
        **kw: object,
    ) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.prompt_tokens = prompt_tokens
        self.context_length = context_length


class SpendLimitReached(ProviderError):
    pass


class AuthenticationFailed(ProviderError):
    pass


class BadRequest(ProviderError):
    pass


class MalformedResponse(ProviderError):
    pass


class SandboxError(EscalatorError):
    """The sandbox copy of a workspace could not be made or used."""


class BudgetExceeded(EscalatorError):
    """A call would spend past a hard limit; names the budget that stopped it."""

    def __init__(self, budget: str, limit_usd: float, needed_usd: float) -> None:
        self.budget = budget
        self.limit_usd = limit_usd
        self.needed_usd = needed_usd
        super().__init__(
            f"{budget} budget of ${limit_usd:.4f} would be exceeded "
            f"(this call could cost up to ${needed_usd:.4f})"
        )
