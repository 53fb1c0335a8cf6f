"""gunicorn settings read from the project directory (`gunicorn wsgi:app`, as `make run` does).

Threads, so slow clients cannot starve the service: each worker process serves `threads`
requests at once, and a client that sends its request slowly holds one thread, never the
process (sync workers would give a whole worker to it). A client that goes silent in the middle
of a request for CLIENT_TIMEOUT seconds is dropped; one that keeps trickling holds its thread
until it is done. In production a buffering proxy (nginx) reads whole requests before gunicorn
sees them: README, "Deploying at scale". tests/e2e/test_slow_clients.py holds this to account.

Access log lines, when an access log is asked for (--access-logfile), carry no client address:
we never keep an IP (SPEC §3), not even in logs. The app's own JSON request log has none either.
"""

import logging
import os
import socket
import struct

from gunicorn.workers import gthread

# Seconds a client may send (or take) nothing in the middle of a request before it is dropped.
CLIENT_TIMEOUT = float(os.environ.get("GUNICORN_CLIENT_TIMEOUT", 10))


class ThreadWorker(gthread.ThreadWorker):
    """gthread, where a slow client holds a request thread only, and for a bounded time.

    gthread reads a request with blocking reads that have no timeout: a client that sends one
    byte and then nothing would hold a thread for good, and the worker's `timeout` never sees
    it (the worker itself stays alive). The kernel's socket timeouts bound every read and write;
    they survive gunicorn switching the socket between blocking and polling.

    gthread also closes a connection on its main loop, waiting up to 2 s for the client to
    close its side: clients that never do would stall accepting for everyone. Here the
    request's own thread does that wait.
    """

    def enqueue_req(self, conn):
        seconds, fraction = divmod(CLIENT_TIMEOUT, 1)
        limit = struct.pack("ll", int(seconds), int(fraction * 1_000_000))
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
        super().enqueue_req(conn)

    def handle(self, conn):
        keep = super().handle(conn)
        if keep is False:  # the connection ends: close it here, where a wait costs one thread
            conn.close(graceful=True)
            conn.close = lambda graceful=False: None  # finish_request's close, on the main loop
        return keep


class DroppedClientLine(logging.Filter):
    """A client dropped for stalling is one line in the error log, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], BlockingIOError):
            record.msg = f"Dropped a client stalled for {CLIENT_TIMEOUT:g} s mid-request"
            record.args = record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def post_worker_init(worker) -> None:
    worker.log.error_log.addFilter(DroppedClientLine())


worker_class = ThreadWorker
workers = int(os.environ.get("WEB_CONCURRENCY", 2))
# At most the 15 database connections SQLAlchemy's pool gives a process: no thread waits for one.
threads = 12
# Seconds without a heartbeat before the master replaces a worker. A thread busy with a slow
# client does not stop the heartbeat; only a stuck process does.
timeout = 30
# Seconds a restarting worker (SIGHUP, a deploy) has to finish the requests it holds.
graceful_timeout = 10
# Seconds an idle keep-alive connection is kept; it waits without a thread.
keepalive = 5

access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
