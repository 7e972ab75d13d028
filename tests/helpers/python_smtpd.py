"""An SMTP receiver from Python 3.11's standard library (smtpd), for the
mail client's tests: it announces SIZE, 8BITMIME and SMTPUTF8, and prints
one JSON line per message received on stdout. Usage: python3 python_smtpd.py
(it listens on a free 127.0.0.1 port and prints "listening PORT" first)."""

import asyncore
import base64
import json
import signal
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import smtpd


class Recorder(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record = {
            "mailfrom": mailfrom,
            "rcpttos": rcpttos,
            "mail_options": kwargs.get("mail_options", []),
            "data": base64.b64encode(data).decode("ascii"),
        }
        print(json.dumps(record), flush=True)
        return None


def main():
    server = Recorder(("127.0.0.1", 0), None, decode_data=False, enable_SMTPUTF8=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening {server.socket.getsockname()[1]}", flush=True)
    asyncore.loop(timeout=0.2)


if __name__ == "__main__":
    main()
