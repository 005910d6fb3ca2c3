"""The application package: `app.main:app` is the ASGI entry point."""
