"""Configuration: built-in defaults (the seed plan) merged with ``escalator.toml``.

Lookup order: ``--config PATH``, ``$ESCALATOR_CONFIG``, ``./escalator.toml``, the user
config dir (``~/.config/escalator/config.toml``). A user file is merged over the
defaults table by table, so ``[models.qwen3-30b] model_id = "..."`` changes one key.
Unknown keys are errors. API keys never live here: only the *names* of environment
variables do.

``schema`` holds the types, ``defaults`` the built-in table, ``files`` the lookup and
loading, ``parse`` the whole document, ``tables`` each table, ``section`` the typed
reading of one table.
"""

from __future__ import annotations

from escalator.config.defaults import DEFAULTS
from escalator.config.files import (
    ConfigLocation,
    default_config,
    find_config_file,
    load_config,
    locate_config,
    user_config_path,
)
from escalator.config.parse import parse_config
from escalator.config.schema import (
    AFTER_LAST_CHOICES,
    CLASSIFY_METHODS,
    DEFAULT_KEY_ENV,
    GUARD_POLICIES,
    PROVIDER_KINDS,
    VALIDATOR_NAMES,
    BudgetConfig,
    ChainConfig,
    ClassifyConfig,
    Config,
    CostGuardConfig,
    McpConfig,
    PolicyConfig,
    PolicyMode,
    ProviderConfig,
    ValidationConfig,
)

__all__ = [
    "AFTER_LAST_CHOICES",
    "CLASSIFY_METHODS",
    "DEFAULTS",
    "DEFAULT_KEY_ENV",
    "GUARD_POLICIES",
    "PROVIDER_KINDS",
    "VALIDATOR_NAMES",
    "BudgetConfig",
    "ChainConfig",
    "ClassifyConfig",
    "Config",
    "ConfigLocation",
    "CostGuardConfig",
    "McpConfig",
    "PolicyConfig",
    "PolicyMode",
    "ProviderConfig",
    "ValidationConfig",
    "default_config",
    "find_config_file",
    "load_config",
    "locate_config",
    "parse_config",
    "user_config_path",
]
