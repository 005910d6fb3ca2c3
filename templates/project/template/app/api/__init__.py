"""The HTTP API: routers in `routes/`, registered in `main.py`."""
