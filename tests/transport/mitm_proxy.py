#!/usr/bin/env python3
"""A man in the middle between an SSH client and a real server.

usage: mitm_proxy.py --target-port PORT [--target-host HOST]
                     [--plan PLAN[,PLAN...]] [--fill-after SECONDS]
                     [--count N] [--idle SECONDS]

Listens on 127.0.0.1 on an ephemeral port and prints the port on the
first line of stdout.  Connection k (counted from 0) is handled with the
k-th PLAN of the comma-separated --plan list (the last one repeats):

  pass         forward both directions unchanged
  flip:O:B     forward until the server's NEWKEYS (message 21), then
               flip bit B (0 = least significant) of the O-th server byte
               after it, i.e. of the first encrypted packets
  ignore:N     insert an IGNORE packet into the server's plaintext stream
               after its N-th binary packet: 0 before its KEXINIT, 1
               between KEXINIT and the key exchange reply, 2 between the
               reply and NEWKEYS.  The sequence numbers of the two sides
               then disagree, which is what the Terrapin attack builds on
  cookie:B     flip bit B of the first byte of the server's KEXINIT cookie:
               plaintext, but covered by the exchange hash the server
               signs

The server's plaintext (version line, then uint32 length-prefixed
packets) is parsed until NEWKEYS; after it, bytes are counted and not
parsed.  When a bit was flipped and the server then says nothing for
--fill-after seconds while the client is still connected, the proxy
sends the client 300 KiB of random bytes: a client whose corrupted
packet's length field now claims more bytes than the server will ever
send must still get to check that packet's MAC rather than wait.

For every connection one line goes to stdout when it ends:
  conn K plan=PLAN newkeys=yes|no after=N first=L flipped=yes|no
    inserted=yes|no filled=yes|no
where N is how many server bytes after NEWKEYS were forwarded and L the
first encrypted packet's length on the wire when it can be read in clear
(AES-GCM and EtM MACs put the length in clear; else "?").

Exits after --count connections or --idle seconds without one.  Python 3
standard library only.
"""

import argparse
import os
import select
import socket
import struct
import sys
import threading
import time

MSG_IGNORE = 2
MSG_NEWKEYS = 21


def ignore_packet():
    payload = bytes([MSG_IGNORE]) + struct.pack(">I", 8) + b"injected"
    pad = 8 - ((5 + len(payload)) % 8)
    if pad < 4:
        pad += 8
    return (struct.pack(">I", 1 + len(payload) + pad) + bytes([pad]) +
            payload + b"\0" * pad)


class ServerStream:
    """Parses what the server sends, in the order it arrives, and says
    what to forward."""

    def __init__(self, plan, tag_len_hint):
        self.plan = plan
        self.buf = b""
        self.state = "version"
        self.packets = 0
        self.after = 0              # bytes forwarded after NEWKEYS
        self.head = b""             # the first 4 of them, as the server sent
        self.saw_newkeys = False
        self.first_len = "?"
        self.flipped = False
        self.inserted = False
        self.tag_len_hint = tag_len_hint
        kind = plan.split(":")[0]
        self.flip_at = None
        self.ignore_after = None
        if kind == "ignore":
            self.ignore_after = int(plan.split(":")[1])
        if kind == "flip":
            _k, off, bit = plan.split(":")
            self.flip_at = (int(off), int(bit))

    def feed(self, data):
        """Returns the bytes to forward now."""
        out = b""
        if self.state == "encrypted":
            return self._encrypted(data)
        self.buf += data
        while self.state != "encrypted":
            if self.state == "version":
                nl = self.buf.find(b"\n")
                if nl < 0:
                    return out
                line, self.buf = self.buf[:nl + 1], self.buf[nl + 1:]
                out += line
                if line.startswith(b"SSH-"):
                    self.state = "packets"
                continue
            if len(self.buf) < 6:
                return out
            plen = struct.unpack(">I", self.buf[:4])[0]
            if plen > 256 * 1024:
                # not a plaintext packet: give up parsing
                self.state = "encrypted"
                rest, self.buf = self.buf, b""
                return out + rest
            if len(self.buf) < 4 + plen:
                return out
            pkt, self.buf = self.buf[:4 + plen], self.buf[4 + plen:]
            if self.plan.startswith("cookie:") and self.packets == 0:
                # uint32 length, byte padding, byte type, cookie
                b = bytearray(pkt)
                b[6] ^= 1 << int(self.plan.split(":")[1])
                pkt = bytes(b)
                self.flipped = True
            if self.ignore_after == self.packets:
                out += ignore_packet()
                self.inserted = True
            out += pkt
            self.packets += 1
            if len(pkt) > 5 and pkt[5] == MSG_NEWKEYS:
                self.saw_newkeys = True
                self.state = "encrypted"
                rest, self.buf = self.buf, b""
                out += self._encrypted(rest)
        return out

    def _encrypted(self, data):
        if not data:
            return data
        start = self.after
        if len(self.head) < 4:
            self.head += data[:4 - len(self.head)]
            if len(self.head) == 4 and self.tag_len_hint:
                self.first_len = str(4 + struct.unpack(">I", self.head)[0] +
                                     self.tag_len_hint)
        if self.flip_at is not None and not self.flipped:
            off, bit = self.flip_at
            if start <= off < start + len(data):
                b = bytearray(data)
                b[off - start] ^= 1 << bit
                data = bytes(b)
                self.flipped = True
        self.after += len(data)
        return data


def handle(k, client, plan, target, fill_after, tag_len_hint, log_lock):
    try:
        server = socket.create_connection(target, timeout=10)
    except OSError as e:
        with log_lock:
            print("conn %d plan=%s error=%s" % (k, plan, e), flush=True)
        client.close()
        return
    server.settimeout(None)
    stream = ServerStream(plan, tag_len_hint)
    filled = False
    last_server = time.monotonic()
    socks = [client, server]
    open_dirs = {client: True, server: True}
    try:
        while open_dirs[client] and open_dirs[server]:
            r, _w, _x = select.select(socks, [], [], 0.05)
            if (stream.flipped and stream.flip_at is not None and
                    not filled and fill_after > 0 and
                    time.monotonic() - last_server > fill_after):
                client.sendall(os.urandom(300 * 1024))
                filled = True
            for s in r:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    open_dirs[s] = False
                    continue
                if s is server:
                    last_server = time.monotonic()
                    out = stream.feed(data)
                    if out:
                        client.sendall(out)
                else:
                    server.sendall(data)
    except OSError:
        pass
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    with log_lock:
        print("conn %d plan=%s newkeys=%s after=%d first=%s flipped=%s "
              "inserted=%s filled=%s" % (
                  k, plan, "yes" if stream.saw_newkeys else "no", stream.after,
                  stream.first_len, "yes" if stream.flipped else "no",
                  "yes" if stream.inserted else "no",
                  "yes" if filled else "no"), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target-host", default="127.0.0.1")
    ap.add_argument("--target-port", type=int, required=True)
    ap.add_argument("--plan", default="pass")
    ap.add_argument("--fill-after", type=float, default=0.5)
    ap.add_argument("--tag-len", type=int, default=0,
                    help="MAC or tag length, to report the first "
                    "encrypted packet's length (GCM, EtM)")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--idle", type=float, default=30.0)
    a = ap.parse_args()
    plans = a.plan.split(",")
    for p in plans:
        parts = p.split(":")
        if not (p == "pass" or
                (parts[0] == "ignore" and len(parts) == 2 and
                 parts[1].isdigit()) or
                (parts[0] == "cookie" and len(parts) == 2 and
                 parts[1] in list("01234567")) or
                (parts[0] == "flip" and len(parts) == 3 and
                 parts[1].isdigit() and parts[2] in list("01234567"))):
            print("mitm_proxy.py: bad plan %r" % p, file=sys.stderr)
            return 2
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print(ls.getsockname()[1], flush=True)
    ls.settimeout(a.idle)
    lock = threading.Lock()
    threads = []
    k = 0
    while a.count == 0 or k < a.count:
        try:
            client, _addr = ls.accept()
        except socket.timeout:
            break
        plan = plans[min(k, len(plans) - 1)]
        t = threading.Thread(target=handle, daemon=True, args=(
            k, client, plan, (a.target_host, a.target_port), a.fill_after,
            a.tag_len, lock))
        t.start()
        threads.append(t)
        k += 1
    for t in threads:
        t.join(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
