"""fastasync: scaffold async FastAPI projects and grow them safely."""

__version__ = "0.1.0"
__all__ = ["__version__"]
