#!/usr/bin/env python3
"""lmtp-talk - speak raw LMTP to deputyd from a little script (tests only)

    lmtp-talk.py ADDRESS < SCRIPT

ADDRESS is a Unix socket path or host:port. SCRIPT has one step a line:

    > TEXT        send TEXT and CR LF
    >> TEXT       send TEXT and a bare LF
    >| TEXT       send TEXT with nothing after it
    big N         send N bytes of data lines ("x" * 76, CR LF)
    long N        send one line of N "y" bytes and CR LF
    <             read one reply; print its last line
    <*            read one reply; print every line of it
    <<            read replies until the socket is quiet for 0.5 s
    sleep S       wait S seconds
    closed        print "closed" if the server closed within 10 s

Each reply printed is its last line (code, enhanced code, text); a
step that cannot read prints "EOF" or "TIMEOUT".
"""

import socket
import sys
import time


def connect(address):
    if address.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(address)
    else:
        host, port = address.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self, timeout):
        self.sock.settimeout(timeout)
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return "TIMEOUT"
            except OSError:
                return "EOF"
            if not chunk:
                return "EOF"
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self, timeout=10, every=False):
        while True:
            line = self.line(timeout)
            if line in ("EOF", "TIMEOUT"):
                return line
            if len(line) < 4 or line[3] != "-":
                return line
            if every:
                print(line, flush=True)


def main():
    sock = connect(sys.argv[1])
    r = Reader(sock)
    for raw in sys.stdin:
        step = raw.rstrip("\n")
        try:
            if step.startswith(">| "):
                sock.sendall(step[3:].encode())
            elif step.startswith(">> "):
                sock.sendall(step[3:].encode() + b"\n")
            elif step.startswith("> "):
                sock.sendall(step[2:].encode() + b"\r\n")
            elif step == ">":
                sock.sendall(b"\r\n")
            elif step.startswith("big "):
                n = int(step[4:])
                line = b"x" * 76 + b"\r\n"
                sock.sendall(line * (n // len(line) + 1))
            elif step.startswith("long "):
                sock.sendall(b"y" * int(step[5:]) + b"\r\n")
            elif step == "<":
                print(r.reply(), flush=True)
            elif step == "<*":
                print(r.reply(every=True), flush=True)
            elif step == "<<":
                while True:
                    got = r.reply(0.5)
                    if got in ("EOF", "TIMEOUT"):
                        break
                    print(got, flush=True)
            elif step.startswith("sleep "):
                time.sleep(float(step[6:]))
            elif step == "closed":
                got = r.line(10)
                while got not in ("EOF", "TIMEOUT"):
                    got = r.line(10)
                print("closed" if got == "EOF" else "open", flush=True)
        except OSError as e:
            print("EOF (%s)" % e, flush=True)
            return
    sock.close()


main()
