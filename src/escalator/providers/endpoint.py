"""A provider endpoint: base URL, auth, one ``httpx.AsyncClient``, limits, error mapping.

``Endpoint.post_json`` / ``Endpoint.stream`` / ``Endpoint.get_json`` send one HTTP
exchange and turn every failure (transport or HTTP status) into an ``escalator.errors``
class through the adapter's mapping. Retries, the semaphore and the circuit breaker sit
one level up, in ``Resilience``. API keys are read from the environment per request and
never kept in the client, in errors or in reprs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from escalator.config import ProviderConfig
from escalator.errors import AuthenticationFailed, MalformedResponse, ProviderError
from escalator.providers.adapter import Adapter, Route
from escalator.providers.error_map import ErrorContext, empty_answer_error, map_transport
from escalator.providers.kinds import Provider, provider_for
from escalator.providers.profiles import ProviderProfile
from escalator.providers.resilience import Resilience, ResilienceSettings
from escalator.providers.timeouts import Timeouts

__all__ = ["Endpoint"]


class Endpoint:
    """One host of a configured provider, with its client, adapter and resilience.

    A provider with several ``base_urls`` (two Macs serving the same model) has one
    ``Endpoint`` per URL, each with its own circuit breaker and concurrency limit.
    """

    def __init__(
        self, config: ProviderConfig, settings: ResilienceSettings, url: str | None = None
    ) -> None:
        self.config = config
        self.base_url = (url or config.base_url).rstrip("/")
        self.provider: Provider = provider_for(config.kind)
        self.adapter: Adapter = self.provider.adapter()
        self.resilience = Resilience(config, settings, url=self.base_url)
        self.timeouts = Timeouts.of(config)
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"Endpoint({self.config.name!r}, kind={self.config.kind!r}, url={self.url!r})"

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def url(self) -> str:
        return self.base_url

    @property
    def profile(self) -> ProviderProfile:
        return self.provider.profile

    @property
    def root(self) -> str:
        """The base URL without a trailing ``/v1`` (routes add their own prefix)."""
        return self.url.removesuffix("/v1")

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            cfg = self.config
            limits = httpx.Limits(
                max_connections=max(cfg.max_concurrent * 2, 4),
                max_keepalive_connections=cfg.max_concurrent,
            )
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(cfg.timeout_s, connect=cfg.connect_timeout_s),
                limits=limits,
                trust_env=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ------------------------------------------------------------------ auth

    def key_present(self) -> bool | None:
        """Whether the API key is set; None for local servers that need none."""
        return self.provider.key_present(self.config.api_key())

    def context(self, model_id: str = "", url: str | None = None) -> ErrorContext:
        return ErrorContext(
            provider=self.name,
            kind=self.config.kind,
            url=url or self.url,
            model_id=model_id,
            key_env=self.config.api_key_env,
        )

    def headers(self, model_id: str = "") -> dict[str, str]:
        """Auth headers for this kind; raises AuthenticationFailed naming the env variable."""
        key = self.config.api_key()
        if key is None:
            if self.profile.key_required:
                env = " or ".join(self.config.api_key_env) or "an api_key_env variable"
                raise AuthenticationFailed(
                    f"no API key for {self.name}: set {env} in the environment "
                    f"(keys are never read from escalator.toml)",
                    provider=self.name,
                    url=self.url,
                )
            return {}
        return self.provider.auth_headers(key)

    # ------------------------------------------------------------------ HTTP

    def _url(self, route: Route) -> str:
        return self.root + route.path

    def _fail(self, response: httpx.Response, text: str, ctx: ErrorContext) -> ProviderError:
        return self.adapter.map_error(response.status_code, text, dict(response.headers), ctx)

    async def post_json(
        self, route: Route, body: Mapping[str, Any], model_id: str
    ) -> tuple[Any, str]:
        """POST JSON; the parsed JSON and raw text of a 2xx answer (mapped errors otherwise)."""
        url = self._url(route)
        ctx = self.context(model_id, url)
        headers = self.headers(model_id)
        try:
            response = await self.client.post(url, json=body, params=route.params, headers=headers)
        except httpx.HTTPError as exc:
            raise map_transport(exc, ctx, local=self.profile.local) from None
        text = response.text
        if response.status_code >= 400:
            raise self._fail(response, text, ctx)
        try:
            return json.loads(text), text
        except ValueError:
            if not text.strip():
                raise empty_answer_error(self.config.kind, ctx) from None
            raise MalformedResponse(
                f"{self.name} answered HTTP {response.status_code} with non-JSON: {text[:200]!r}",
                provider=self.name,
                url=url,
                status=response.status_code,
                body=text,
            ) from None

    @asynccontextmanager
    async def stream(
        self, route: Route, body: Mapping[str, Any], model_id: str
    ) -> AsyncIterator[httpx.Response]:
        """POST and yield the open streaming response (already checked for errors)."""
        url = self._url(route)
        ctx = self.context(model_id, url)
        headers = self.headers(model_id)
        request = self.client.build_request(
            "POST", url, json=body, params=route.params, headers=headers
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise map_transport(exc, ctx, local=self.profile.local) from None
        try:
            if response.status_code >= 400:
                text = (await response.aread()).decode("utf-8", "replace")
                raise self._fail(response, text, ctx)
            yield response
        except httpx.HTTPError as exc:
            raise map_transport(exc, ctx, local=self.profile.local) from None
        finally:
            await response.aclose()

    async def alive(self, timeout_s: float) -> bool:
        """Whether the server answers a model list within ``timeout_s`` (any HTTP status
        counts: a server that answers is alive, even when it refuses)."""
        url = self.root + "/v1/models"
        try:
            await self.client.get(
                url, headers=self._probe_headers(), timeout=httpx.Timeout(timeout_s)
            )
        except httpx.HTTPError:
            return False
        return True

    def _probe_headers(self) -> dict[str, str]:
        try:
            return self.headers()
        except AuthenticationFailed:
            return {}

    async def get_json(self, path: str, *, model_id: str = "", auth: bool = True) -> Any:
        """GET a JSON document (status checks use the same mapping)."""
        url = self.root + path
        ctx = self.context(model_id, url)
        headers = self.headers(model_id) if auth else {}
        try:
            response = await self.client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise map_transport(exc, ctx, local=self.profile.local) from None
        text = response.text
        if response.status_code >= 400:
            raise self._fail(response, text, ctx)
        try:
            return response.json()
        except ValueError:
            raise MalformedResponse(
                f"{self.name} answered GET {path} with non-JSON: {text[:200]!r}",
                provider=self.name,
                url=url,
                status=response.status_code,
                body=text,
            ) from None
