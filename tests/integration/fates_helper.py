#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# Connections and crafted RSTs for test_fates.sh, each mode bounded by
# socket timeouts. Run inside a test namespace (nsenter); IPv4 only.
#
#   server PORT MODE READY     listen on PORT (in the caller's netns), touch
#                              READY, serve one connection per MODE:
#                                hold      accept, keep it open, never read (8 s)
#                                unread    accept, close with the client's
#                                          data unread: an RST (abort on close)
#                                later     read 5, send 3, close with the next
#                                          2 bytes unread
#                                first     accept and close at once: this side
#                                          ends in TIME_WAIT
#                                shutdown  accept, shutdown(SHUT_RDWR), keep the
#                                          socket: data after it is reset locally
#                                keepalive accept, keepalive after 1 s idle, one
#                                          probe 1 s apart, then wait in recv():
#                                          the timer resets a silent peer
#   crafted SRV PORT CLOSED    connect, read our own snd_nxt (TCP_REPAIR), then
#                              craft RSTs from the same port: in window + 1000
#                              (challenged), + 2^31 (ignored), exact (accepted);
#                              a second connection, exact with TTL 50
#                              (accepted, TTL change); one to port CLOSED (no
#                              socket). Prints one JSON line per RST.
#   linger SRV PORT            connect, SO_LINGER 0, close: an RST, no data
#   data SRV PORT N            connect, send N bytes, wait for the server's RST
#   idle SRV PORT SECS         connect and stay silent for SECS seconds
#   later SRV PORT             connect, send 5, read 3, send 2, wait for the RST
#   timewait SRV PORT          connect, wait for the server's FIN, close, then
#                              an exact RST to the server's TIME_WAIT socket;
#                              prints it as a JSON line
import json
import socket
import struct
import sys
import time

TCP_REPAIR = 19
TCP_REPAIR_QUEUE = 20
TCP_QUEUE_SEQ = 21
TCP_SEND_QUEUE = 2


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def rst(src, dst, sport, dport, seq, ttl=64):
    """An RST (no ACK) as IPv4 + TCP, checksums filled in."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0, 5 << 4, 0x04, 0, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x4242, 0, ttl, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def snd_nxt(s):
    """The next seq this socket sends: TCP_REPAIR lets us read write_seq."""
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE)
    seq = s.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ)
    return seq & 0xFFFFFFFF


def connect(srv, port):
    c = socket.create_connection((srv, port), timeout=3)
    time.sleep(0.2)
    return c


def crafted(srv, port, closed):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    out = []

    def send(c_src, sport, dport, seq, fate, ttl=64):
        raw.sendto(rst(c_src, srv, sport, dport, seq, ttl), (srv, 0))
        out.append({"sport": sport, "dport": dport, "seq": seq & 0xFFFFFFFF, "fate": fate,
                    "ttl": ttl})
        time.sleep(0.3)

    c = connect(srv, port)
    src, sport = c.getsockname()
    seq = snd_nxt(c)  # the socket stays in repair mode: closing it sends nothing
    send(src, sport, port, seq + 1000, "challenged")
    send(src, sport, port, seq + 0x80000000, "ignored")
    send(src, sport, port, seq, "accepted")
    c2 = connect(srv, port)
    src2, sport2 = c2.getsockname()
    send(src2, sport2, port, snd_nxt(c2), "accepted", ttl=50)
    send(src, 40999, closed, 12345, "no_socket")
    for line in out:
        print(json.dumps(line))
    c.close()
    c2.close()


def server(port, mode, ready):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    ls.settimeout(8)
    open(ready, "w").close()
    if mode == "hold":
        held = []
        end = time.time() + 8
        while time.time() < end:
            try:
                held.append(ls.accept()[0])
            except OSError:
                break
        return
    c, _ = ls.accept()
    c.settimeout(3)
    if mode == "keepalive":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 1)
        c.settimeout(8)
        try:
            c.recv(10)  # sleeps without the socket lock: the timer runs
        except OSError:
            pass
        return
    if mode == "shutdown":
        c.shutdown(socket.SHUT_RDWR)
        time.sleep(2)
        return
    if mode == "first":
        c.close()
        time.sleep(2)
        return
    if mode == "later":
        got = b""
        while len(got) < 5:
            got += c.recv(5 - len(got))
        c.sendall(b"abc")
        time.sleep(0.8)  # the client's next 2 bytes arrive, unread
    else:
        time.sleep(0.8)  # the client's data arrives, unread
    c.close()  # data unread: tcp_close() sends an RST (abort on close)
    time.sleep(0.2)


def wait_reset(c):
    try:
        while c.recv(100):
            pass
    except OSError:
        pass


def main():
    mode = sys.argv[1]
    if mode == "server":
        server(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif mode == "crafted":
        crafted(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "linger":
        c = connect(sys.argv[2], int(sys.argv[3]))
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    elif mode == "data":
        c = connect(sys.argv[2], int(sys.argv[3]))
        c.sendall(b"x" * int(sys.argv[4]))
        wait_reset(c)
    elif mode == "later":
        c = connect(sys.argv[2], int(sys.argv[3]))
        c.sendall(b"hello")
        got = b""
        while len(got) < 3:
            got += c.recv(3 - len(got))
        c.sendall(b"zz")
        wait_reset(c)
    elif mode == "idle":
        c = connect(sys.argv[2], int(sys.argv[3]))
        time.sleep(float(sys.argv[4]))
    elif mode == "timewait":
        srv, port = sys.argv[2], int(sys.argv[3])
        c = connect(srv, port)
        c.settimeout(3)
        wait_reset(c)  # the server's FIN: recv() returns b""
        src, sport = c.getsockname()
        seq = snd_nxt(c)
        c.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 0)
        c.close()  # our FIN takes seq; the server's last ACK makes it TIME_WAIT
        time.sleep(0.3)
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        raw.sendto(rst(src, srv, sport, port, seq + 1), (srv, 0))
        print(json.dumps({"sport": sport, "seq": (seq + 1) & 0xFFFFFFFF}))
        time.sleep(0.3)
    else:
        sys.exit("usage: see the head of " + sys.argv[0])


if __name__ == "__main__":
    main()
