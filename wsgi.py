"""Entry point for WSGI servers: gunicorn wsgi:app."""

from predictions import create_app

app = create_app()
