"""Retrieves every message of a maildrop with Python's poplib, one RETR at a time.

Usage: python3 poplib_retr.py PORT USER PASSWORD

Prints one JSON object: the message count from STAT, the octets RETR
reported in total, and the seconds from the first RETR to the last reply
(login and QUIT are not timed).
"""

import json
import poplib
import sys
import time


def main() -> None:
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    pop = poplib.POP3("127.0.0.1", port, timeout=300)
    try:
        pop.user(user)
        pop.pass_(password)
        count, _ = pop.stat()
        octets = 0
        started = time.perf_counter()
        for n in range(1, count + 1):
            _, lines, size = pop.retr(n)
            octets += size
        seconds = time.perf_counter() - started
        pop.quit()
    finally:
        pop.close()
    print(json.dumps({"messages": count, "octets": octets, "seconds": seconds}))


if __name__ == "__main__":
    main()
