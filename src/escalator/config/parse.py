"""Validating a whole TOML document merged over the defaults into a ``Config``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from escalator.config.defaults import DEFAULTS
from escalator.config.schema import Config
from escalator.config.section import Section, merge
from escalator.config.tables import (
    parse_budgets,
    parse_classify,
    parse_cost_guard,
    parse_matrix,
    parse_mcp,
    parse_models,
    parse_policy,
    parse_providers,
    parse_validation,
)
from escalator.errors import ConfigError
from escalator.registry import Registry

__all__ = ["parse_config"]


def parse_config(data: Mapping[str, Any], *, source: str = "(dict)") -> Config:
    """Validate a TOML document merged over the defaults; raises ConfigError."""
    merged = merge(DEFAULTS, data)
    top = Section("", merged, source)
    top.path = "(top level)"
    providers = parse_providers(top.table_of("providers"), source)
    models = parse_models(top.table_of("models"), providers, source)
    matrix = parse_matrix(top.table_of("matrix"), models, source)
    cost_guard = parse_cost_guard(top.table_of("cost_guard"), source)
    budgets = parse_budgets(top.table_of("budgets"), source)
    validation = parse_validation(top.table_of("validation"), models, source)
    mcp = parse_mcp(top.table_of("mcp"), source)
    policy = parse_policy(top.table_of("policy"), source)
    classify = parse_classify(top.table_of("classify"), models, source)
    store = Section("store", top.table_of("store"), source)
    default_db = Path(platformdirs.user_data_dir("escalator", appauthor=False)) / "tasks.db"
    db = store.text("db_path", None)
    db_url = _parse_db_url(store, top.table_of("log"), source)
    store.done()
    unknown = sorted(set(merged) - top.used)
    if unknown:
        allowed = (
            "providers, models, matrix, cost_guard, budgets, validation, mcp, store, log, policy, "
            "classify"
        )
        raise ConfigError(unknown[0], f"is not a known section (allowed: {allowed})", source=source)
    return Config(
        providers=providers,
        registry=Registry(models),
        matrix=matrix,
        cost_guard=cost_guard,
        budgets=budgets,
        validation=validation,
        mcp=mcp,
        db_path=Path(db).expanduser() if db else default_db,
        db_url=db_url,
        source=source,
        policy=policy,
        classify=classify,
    )


def _parse_db_url(store: Section, log: Mapping[str, Any], source: str) -> str | None:
    """``$ESCALATOR_DB_URL``, else ``[store] url`` (or ``[log] url``): a PostgreSQL log."""
    log_section = Section("log", log, source)
    url = store.text("url", None)
    alias = log_section.text("url", None)
    log_section.done()
    if url and alias:
        store.fail("log.url", alias, "give the URL once, as [store] url")
    found: str | None = str(url or alias) if (url or alias) else None
    url = found
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        store.fail("store.url", url, "must be a postgresql:// URL (the SQLite log is db_path)")
    if url is not None and re.search(r"://[^/@]*:[^/@]*@", url):
        raise ConfigError(
            "store.url",
            "holds a password; passwords are never read from the file: put it in "
            "PGPASSWORD or ~/.pgpass, or give the whole URL in $ESCALATOR_DB_URL",
            source=source,
        )
    env = os.environ.get("ESCALATOR_DB_URL")
    if env:
        if not env.startswith(("postgresql://", "postgres://")):
            raise ConfigError("ESCALATOR_DB_URL", f"{env[:40]!r} is not a postgresql:// URL")
        return env
    return found
