#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Makes one reset of one cause between two test namespaces, for
test_causes.sh. A socket keeps the namespace it was made in, so one
process holds the server in SERVER_NS and the client in CLIENT_NS. Every
mode is bounded by socket timeouts.

  causes_gen.py MODE SERVER_NS CLIENT_NS ADDR PORT

  connect    the client connects (a closed port or a reject rule); prints the errno name
  unread     the server closes with the client's data unread: tcp_abort_on_close
  linger0    the server closes with SO_LINGER 0: tcp_disconnect(), tcp_state
  keepalive  the server's keepalive gives up (the caller cut the client's replies)
  kill       the server socket is destroyed by `ss -K` in SERVER_NS
"""
import ctypes
import errno
import os
import socket
import struct
import subprocess
import sys

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), "setns " + ns)
    finally:
        os.close(fd)


def main():
    mode, srv_ns, cli_ns, addr, port = sys.argv[1:6]
    port = int(port)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    if mode == "connect":
        enter(cli_ns)
        c = socket.socket(fam)
        c.settimeout(3)
        try:
            c.connect((addr, port))
            print("connected")
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))
        return 0
    enter(srv_ns)
    lst = socket.socket(fam)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((addr, port))
    lst.listen(4)
    lst.settimeout(5)
    enter(cli_ns)
    c = socket.socket(fam)
    c.settimeout(5)
    c.connect((addr, port))
    s, _ = lst.accept()
    s.settimeout(10)
    if mode == "unread":
        c.sendall(b"x" * 100)
        s.recv(1, socket.MSG_PEEK)  # the data is there, and stays unread
        s.close()
    elif mode == "linger0":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    elif mode == "keepalive":
        # The client's replies cut: its route to the server a blackhole.
        subprocess.run(["nsenter", "--net=/run/netns/" + cli_ns, "ip", "route", "add",
                        "blackhole", addr], check=True, timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        try:
            s.recv(1)
            print("no error")
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))
        s.close()
    elif mode == "kill":
        cport = c.getsockname()[1]
        r = subprocess.run(["nsenter", "--net=/run/netns/" + srv_ns, "ss", "-K", "-t",
                            "dport", "=", ":%d" % cport], capture_output=True, timeout=5)
        try:
            s.recv(1)
            print("no error")
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))
        if r.returncode:
            print("ss -K failed: " + r.stderr.decode(errors="replace").strip())
    else:
        print("unknown mode " + mode, file=sys.stderr)
        return 2
    try:
        c.settimeout(3)
        c.recv(1)
    except OSError:
        pass
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
