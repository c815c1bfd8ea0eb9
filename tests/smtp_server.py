"""A real SMTP server on loopback for delivery tests (a thread, standard library only), which
records every message it accepts and fails on cue.

Faults are keyed by the transaction number (the n-th MAIL FROM the server has seen, from 1):
  "451"         the data is refused for now (4xx),      "550" refused for good (5xx),
  "rcpt550"     the recipient is refused for good,      "drop" the connection is cut at MAIL FROM,
  "accept-drop" the message is accepted and stored, then the connection is cut before the 250
                (RFC 1047: the client cannot know it was delivered),
  a callable    called with the message before the 250 (e.g. to lock the database meanwhile).
`down = True` cuts every connection before the greeting.
"""

import email
import email.policy
import socketserver
import threading
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage

Fault = str | Callable[[EmailMessage], None]


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        smtp = self.server.owner
        if smtp.down:
            return
        self.reply("220 smtp.test.invalid ESMTP")
        fault: Fault | None = None
        while line := self.rfile.readline():
            verb = line[:4].decode("ascii", "replace").upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 smtp.test.invalid")
            elif verb == "MAIL":
                fault = smtp.next_fault()
                if fault == "drop":
                    return
                self.reply("250 OK")
            elif verb == "RCPT":
                self.reply("550 5.1.1 no such mailbox" if fault == "rcpt550" else "250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                message = self.read_data()
                if fault == "451":
                    self.reply("451 4.3.0 try again later")
                elif fault == "550":
                    self.reply("550 5.7.1 message refused")
                else:
                    if callable(fault):
                        fault(message)
                    smtp.accept(message)
                    if fault == "accept-drop":
                        return
                    self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # RSET, NOOP
                self.reply("250 OK")

    def read_data(self) -> EmailMessage:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b".") else line)
        return email.message_from_bytes(b"".join(lines), policy=email.policy.default)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: "SMTPServer"


class SMTPServer:
    def __init__(self, faults: dict[int, Fault] | None = None):
        self.faults = dict(faults or {})
        self.down = False
        self.received: list[EmailMessage] = []
        self.transactions = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]

    def __enter__(self) -> "SMTPServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_fault(self) -> Fault | None:
        with self._lock:
            self.transactions += 1
            return self.faults.get(self.transactions)

    def accept(self, message: EmailMessage) -> None:
        with self._lock:
            self.received.append(message)

    def copies(self) -> Counter:
        """How many times each Message-ID arrived."""
        with self._lock:
            return Counter(message["Message-ID"] for message in self.received)
