"""Escalator: cheap local models first, proven results, paid models only when needed."""

__version__ = "0.1.0"
