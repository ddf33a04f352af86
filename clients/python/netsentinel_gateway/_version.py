"""Version of the netsentinel-gateway client (also sent in its User-Agent)."""

__version__ = "0.1.0"
