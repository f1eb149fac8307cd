#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends TCP RSTs out of an interface through AF_PACKET, for test_rings.sh,
moving between CPUs: veth delivers a frame in the sender's softirq, so the
receiver's XDP program runs on the CPU that sent it.

  rings_gen.py IFACE DST_MAC SRC_IP DST_IP SPORT SEQ0 ROUNDS PER_ROUND CPUS

ROUNDS rounds of PER_ROUND RSTs (IPv4, no options), round r sent from CPU
CPUS[r % len(CPUS)] (a comma-separated list), seq SEQ0, SEQ0 + 1, ...: each
frame is unique, and their order is the order sent. Bounded by the count.
"""
import os
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(dmac, smac, src, dst, sport, dport, seq, ip_id):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x04, 0, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ip_id, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + smac + b"\x08\x00" + ip + tcp


def main():
    ifc, dmac, src, dst, sport, seq0, rounds, per, cpus = sys.argv[1:10]
    dmac = bytes.fromhex(dmac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifc, 0))
    smac = s.getsockname()[4][:6]
    src, dst = socket.inet_aton(src), socket.inet_aton(dst)
    cpus = [int(c) for c in cpus.split(",")]
    seq = int(seq0)
    for r in range(int(rounds)):
        os.sched_setaffinity(0, {cpus[r % len(cpus)]})
        for _ in range(int(per)):
            s.send(frame(dmac, smac, src, dst, int(sport), 80, seq, seq & 0xFFFF))
            seq += 1


if __name__ == "__main__":
    main()
