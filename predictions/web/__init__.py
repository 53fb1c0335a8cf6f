"""The web edge: public pages, the JSON API, errors and security headers."""
