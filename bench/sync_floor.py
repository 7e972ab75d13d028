"""What one durable append costs on this machine, without any server.

Appends records of SIZE octets to a fresh file in DIR and fdatasyncs after
each, sleeping GAP_US microseconds between them (the time a one-session
SMTP exchange leaves the disk idle), and prints the median time of the
fdatasync calls in microseconds. Python adds a few microseconds per call:
this is the floor for any server that syncs each message before its 250.

Usage: python3 sync_floor.py DIR COUNT SIZE GAP_US
"""

import os
import statistics
import sys
import time


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    directory = sys.argv[1]
    count, size, gap_us = (int(arg) for arg in sys.argv[2:])
    path = os.path.join(directory, "sync_floor.dat")
    record = b"x" * size
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
    try:
        for _ in range(count):
            os.write(fd, record)
            start = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - start)
            time.sleep(gap_us / 1e6)
    finally:
        os.close(fd)
        os.unlink(path)
    print(round(statistics.median(times) * 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
