"""The one module-level app, named by gunicorn in `make serve` and docker-compose alike."""

from .http.app import create_app

app = create_app()
