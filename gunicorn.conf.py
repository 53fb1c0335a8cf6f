"""gunicorn settings read from the project directory (`gunicorn wsgi:app`).

Access log lines, when an access log is asked for (--access-logfile), carry no client address:
we never keep an IP (SPEC §3), not even in logs. The app's own JSON request log has none either.
"""

access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
