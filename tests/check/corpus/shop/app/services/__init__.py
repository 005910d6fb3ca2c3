from .profiles import fetch_profile

__all__ = ["fetch_profile"]
