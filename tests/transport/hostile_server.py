#!/usr/bin/env python3
"""A scripted, hostile SSH-2 server for the transport's tests.

usage: hostile_server.py SCENARIO[,SCENARIO...] [--count N] [--idle SECONDS]
       hostile_server.py --list
       hostile_server.py --cases SCENARIO
       hostile_server.py --dump DIR [--max-bytes N]

Listens on 127.0.0.1 on an ephemeral port, prints the port on the first
line of stdout, and serves each connection with SCENARIO: a fixed script
of bytes sent before any encryption (the version exchange and plaintext
binary packets, RFC 4253 sections 4.2 and 6).  What the client sends is
read and thrown away; the connection is held open until the client
closes it (so that nothing we sent is lost to a reset), or for at most
--hold seconds.

A scenario may have variants (--cases prints how many): connection k
gets variant k mod cases.  KEXINIT truncation uses this: the runner
connects once per offset.  Given a comma-separated list of scenarios,
connection k gets scenario k mod n (and its variant k div n), so that
one server serves a whole series of cases.

The server exits after --count connections, or after --idle seconds
without a new connection (30 by default), so that a runner that dies
leaves nothing behind.

--dump writes the bytes of every scenario variant into DIR (one file
each, cut at --max-bytes); with --fuzz-header each file starts with the
5-byte header tests/fuzz/fuzz_transport.c reads (default algorithms, and
one of three chunk schedules: all at once, one byte at a time, mixed).
That is the seed corpus of the transport fuzzer:
  hostile_server.py --dump tests/fuzz/corpus/transport --fuzz-header

Python 3 standard library only.  The few pseudo-random values (cookies,
padding, the "random" ECDH value and host key) come from a generator
seeded with the scenario's name, so every run sends the same bytes.
"""

import argparse
import hashlib
import os
import random
import socket
import struct
import sys
import threading
import time

# ---------------------------------------------------------------- encoding

MSG_DISCONNECT = 1
MSG_IGNORE = 2
MSG_UNIMPLEMENTED = 3
MSG_DEBUG = 4
MSG_SERVICE_ACCEPT = 6
MSG_EXT_INFO = 7
MSG_KEXINIT = 20
MSG_NEWKEYS = 21
MSG_KEX_ECDH_REPLY = 31
MSG_USERAUTH_SUCCESS = 52
MSG_CHANNEL_DATA = 94

VERSION = b"SSH-2.0-OpenSSH_9.9 hostile\r\n"
STRICT_S = "kex-strict-s-v00@openssh.com"


def u32(n):
    return struct.pack(">I", n & 0xFFFFFFFF)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def mpint_from_int(n):
    if n == 0:
        return u32(0)
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if b[0] & 0x80:
        b = b"\0" + b
    return string(b)


def packet(payload, rng, padlen=None, length=None, block=8):
    """One unencrypted binary packet.  padlen and length override the
    computed padding length byte and packet_length field (for hostile
    packets); the padding bytes actually sent follow padlen when it is
    sane, else the computed amount."""
    pad = block - ((5 + len(payload)) % block)
    if pad < 4:
        pad += block
    sent_pad = pad
    if padlen is None:
        padlen = pad
    elif 4 <= padlen <= 255 and (5 + len(payload) + padlen) % block == 0:
        sent_pad = padlen
    plen = 1 + len(payload) + sent_pad if length is None else length
    return (u32(plen) + bytes([padlen & 0xFF]) + payload +
            bytes(rng.getrandbits(8) for _ in range(sent_pad)))


def kexinit_payload(rng, kex="curve25519-sha256", hostkey="ssh-ed25519",
                    cipher="aes128-ctr", mac="hmac-sha2-256", comp="none",
                    cipher_stoc=None, mac_stoc=None, comp_stoc=None,
                    strict=False, follows=0):
    if strict:
        kex = kex + "," + STRICT_S
    lists = [kex, hostkey, cipher, cipher_stoc or cipher, mac,
             mac_stoc or mac, comp, comp_stoc or comp, "", ""]
    p = bytes([MSG_KEXINIT]) + bytes(rng.getrandbits(8) for _ in range(16))
    for name_list in lists:
        p += string(name_list)
    return p + bytes([follows]) + u32(0)


def ignore(data=b"ignored"):
    return bytes([MSG_IGNORE]) + string(data)


def debug(msg="debug"):
    return bytes([MSG_DEBUG, 1]) + string(msg) + string("")


def unimplemented(seq=0):
    return bytes([MSG_UNIMPLEMENTED]) + u32(seq)


def disconnect(code, desc):
    return bytes([MSG_DISCONNECT]) + u32(code) + string(desc) + string("")


# ------------------------------------------------- ed25519 public keys

# A real (decodable, prime-order) Ed25519 public key, made from a random
# scalar by plain Edwards-curve arithmetic (RFC 8032 section 5.1), so that
# a client that checks the key before the signature gets as far as the
# signature.
_P = 2 ** 255 - 19
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_BY = (4 * pow(5, _P - 2, _P)) % _P


def _recover_x(y, sign):
    xx = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(xx, (_P + 3) // 8, _P)
    if (x * x - xx) % _P != 0:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    if x & 1 != sign:
        x = _P - x
    return x


_BX = _recover_x(_BY, 0)


def _ed_add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa = (y1 - x1) * (y2 - x2) % _P
    pb = (y1 + x1) * (y2 + x2) % _P
    pc = t1 * 2 * _D * t2 % _P
    pd = z1 * 2 * z2 % _P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def ed25519_public(rng):
    scalar = rng.getrandbits(254) | (1 << 254)
    scalar &= ~7
    acc = (0, 1, 1, 0)
    base = (_BX, _BY, 1, _BX * _BY % _P)
    while scalar:
        if scalar & 1:
            acc = _ed_add(acc, base)
        base = _ed_add(base, base)
        scalar >>= 1
    zi = pow(acc[2], _P - 2, _P)
    x, y = acc[0] * zi % _P, acc[1] * zi % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def ed25519_blob(rng):
    return string("ssh-ed25519") + string(ed25519_public(rng))


def rsa_blob(rng, bits=2048):
    n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
    return string("ssh-rsa") + mpint_from_int(65537) + mpint_from_int(n)


def ecdh_reply(rng, pub=None, hostkey=None, sig=None, trailer=b""):
    if pub is None:
        pub = bytes(rng.getrandbits(8) for _ in range(32))
    if hostkey is None:
        hostkey = ed25519_blob(rng)
    if sig is None:
        sig = string("ssh-ed25519") + string(
            bytes(rng.getrandbits(8) for _ in range(64)))
    return (bytes([MSG_KEX_ECDH_REPLY]) + string(hostkey) + string(pub) +
            string(sig) + trailer)


# ---------------------------------------------------------- scenarios

class Script:
    """What one connection gets: a list of ("send", bytes) and
    ("sleep", seconds) steps, then optionally ("close",) to close at
    once instead of holding the connection."""

    def __init__(self):
        self.steps = []

    def send(self, data):
        self.steps.append(("send", data))
        return self

    def sleep(self, secs):
        self.steps.append(("sleep", secs))
        return self

    def close(self):
        self.steps.append(("close",))
        return self

    def data(self):
        return b"".join(s[1] for s in self.steps if s[0] == "send")


SCENARIOS = {}


def scenario(name, cases=1):
    def reg(fn):
        SCENARIOS[name] = (fn, cases if callable(cases) else (lambda: cases))
        return fn
    return reg


def _rng(name, k=0):
    return random.Random("%s/%d" % (name, k))


def good_kex_tail(rng, strict=False, before_reply=b""):
    """A KEXINIT the client accepts, then a well-formed ECDH reply whose
    signature is garbage: a client that got this far fails with
    "incorrect signature"."""
    return (packet(kexinit_payload(rng, strict=strict), rng) + before_reply +
            packet(ecdh_reply(rng), rng))


# -- version exchange

@scenario("banner-1025")
def _(rng, k):
    lines = b"".join(b"banner line %d\r\n" % i for i in range(1025))
    return Script().send(lines + VERSION)


@scenario("banner-1024")
def _(rng, k):
    # the limit itself is allowed: the client must get to the DISCONNECT
    lines = b"".join(b"banner line %d\r\n" % i for i in range(1024))
    return Script().send(lines + VERSION +
                         packet(disconnect(11, "bye after 1024 lines"), rng))


@scenario("banner-long")
def _(rng, k):
    return Script().send(b"A" * 9000 + b"\r\n" + VERSION)


@scenario("banner-long-nonl")
def _(rng, k):
    return Script().send(b"B" * 20000)


@scenario("banner-8192-split")
def _(rng, k):
    # A banner line of exactly 8192 bytes is within the limit.  It is sent
    # in two writes, the second starting with its final "\n": the outcome
    # must not depend on how TCP cuts the stream.
    return (Script().send(b"C" * 8192 + b"\r").sleep(0.3)
            .send(b"\n" + VERSION + packet(disconnect(11, "bye after a long banner"), rng)))


@scenario("banner-8192-whole")
def _(rng, k):
    return Script().send(b"C" * 8192 + b"\r\n" + VERSION +
                         packet(disconnect(11, "bye after a long banner"), rng))


@scenario("version-10mb")
def _(rng, k):
    return Script().send(b"SSH-2.0-" + b"x" * (10 * 1024 * 1024) + b"\r\n")


@scenario("version-long")
def _(rng, k):
    return Script().send(b"SSH-2.0-" + b"x" * 300 + b"\r\n")


@scenario("banner-nul")
def _(rng, k):
    return Script().send(b"hello\0world\r\n" + VERSION)


@scenario("banner-nul-then-silence")
def _(rng, k):
    # no line end ever comes: the NUL alone must end it, not a timeout
    return Script().send(b"garbage\r\n\0\1\2junk").sleep(30)


@scenario("version-nul")
def _(rng, k):
    return Script().send(b"SSH-2.0-Open\0SSH\r\n")


@scenario("version-ssh1")
def _(rng, k):
    return Script().send(b"SSH-1.5-OpenSSH_1.2.3\r\n")


@scenario("version-escapes")
def _(rng, k):
    return Script().send(b"SSH-1.5-\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x7f\r\n")


@scenario("version-silence")
def _(rng, k):
    return Script().send(VERSION)


@scenario("eof-before-version")
def _(rng, k):
    return Script().send(b"a banner and then nothing\r\n").close()


# -- packet framing

@scenario("len-0")
def _(rng, k):
    return Script().send(VERSION + u32(0) + b"\0" * 12)


@scenario("len-4")
def _(rng, k):
    return Script().send(VERSION + u32(4) + b"\4" + b"\0" * 11)


@scenario("len-256k1")
def _(rng, k):
    return Script().send(VERSION + u32(256 * 1024 + 1) + b"\4" + b"\0" * 64)


@scenario("len-ffffffff")
def _(rng, k):
    return Script().send(VERSION + u32(0xFFFFFFFF) + b"\4" + b"\0" * 64)


@scenario("len-unaligned")
def _(rng, k):
    # 4 + 13 is not a multiple of the block size 8
    return Script().send(VERSION + u32(13) + b"\4" + bytes([MSG_IGNORE]) +
                         b"\0" * 11)


@scenario("len-max-ok")
def _(rng, k):
    # the largest packet allowed: 4 + 262140 = 256 KiB, padded to 8
    body = ignore(b"i" * (262140 - 1 - 4 - 1 - 4))
    pkt = u32(262140) + b"\4" + body + b"\0" * 4
    assert len(pkt) == 256 * 1024
    return Script().send(VERSION + pkt + good_kex_tail(rng))


@scenario("pad-3")
def _(rng, k):
    return Script().send(VERSION + packet(ignore(b"abcd"), rng, padlen=3))


@scenario("pad-eq-len")
def _(rng, k):
    p = packet(ignore(b"abcd"), rng)
    plen = struct.unpack(">I", p[:4])[0]
    return Script().send(VERSION + packet(ignore(b"abcd"), rng, padlen=plen))


@scenario("pad-gt-len")
def _(rng, k):
    return Script().send(VERSION + packet(ignore(b"abcd"), rng, padlen=255))


@scenario("empty-payload")
def _(rng, k):
    return Script().send(VERSION + u32(12) + bytes([11]) + b"\0" * 11)


@scenario("eof-mid-packet")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng)[:40]).close()


# -- KEXINIT parsing and negotiation

def _kexinit_len():
    return len(kexinit_payload(_rng("kexinit-trunc")))


@scenario("kexinit-trunc", cases=_kexinit_len)
def _(rng, k):
    # the payload cut after k bytes, in a well-formed packet
    p = kexinit_payload(_rng("kexinit-trunc"))
    return Script().send(VERSION + packet(p[:k], rng))


def _kexinit_pkt_len():
    return len(packet(kexinit_payload(_rng("kexinit-cut")), _rng("kexinit-cut")))


@scenario("kexinit-cut", cases=_kexinit_pkt_len)
def _(rng, k):
    # the stream itself ends k bytes into the KEXINIT packet
    rng0 = _rng("kexinit-cut")
    p = packet(kexinit_payload(rng0), rng0)
    return Script().send(VERSION + p[:k]).close()


def _kexinit_with_first_list_len(rng, length):
    p = kexinit_payload(rng)
    # type (1) + cookie (16), then the first name-list's length
    return p[:17] + u32(length) + p[21:]


@scenario("namelist-past-packet")
def _(rng, k):
    p = kexinit_payload(rng)
    # the first list claims one byte more than the packet has left
    return Script().send(VERSION + packet(
        _kexinit_with_first_list_len(rng, len(p) - 21 + 1), rng))


@scenario("namelist-ffffffff")
def _(rng, k):
    return Script().send(VERSION + packet(
        _kexinit_with_first_list_len(rng, 0xFFFFFFFF), rng))


@scenario("namelist-last-past-packet")
def _(rng, k):
    # every list fine but the last (languages server to client)
    p = kexinit_payload(rng)
    tail = p[-(4 + 1 + 4):]            # its length, follows, reserved
    return Script().send(VERSION + packet(p[:-(4 + 1 + 4)] + u32(100) +
                                          tail[4:], rng))


@scenario("namelist-nul")
def _(rng, k):
    return Script().send(VERSION + packet(
        kexinit_payload(rng, kex="curve25519-sha256\0evil"), rng))


@scenario("namelist-huge-ok")
def _(rng, k):
    # name-lists of ~40 KiB each, the usable name last: negotiation must
    # still succeed (and be quick), failing later at the signature
    junk = ",".join("junk-%d@example.com" % i for i in range(2000))
    p = kexinit_payload(rng, kex=junk + ",curve25519-sha256",
                        hostkey=junk + ",ssh-ed25519",
                        cipher=junk + ",aes128-ctr", mac=junk + ",hmac-sha2-256")
    return Script().send(VERSION + packet(p, rng) + packet(ecdh_reply(rng), rng))


def _nomatch(**kw):
    def fn(rng, k):
        return Script().send(VERSION + packet(kexinit_payload(rng, **kw), rng))
    return fn


scenario("nomatch-kex")(_nomatch(kex="foo-kex@example.com,diffie-hellman-group1-sha1"))
scenario("nomatch-kex-markers")(_nomatch(
    kex="ext-info-s,kex-strict-s-v00@openssh.com,ext-info-c,"
        "kex-strict-c-v00@openssh.com"))
scenario("nomatch-hostkey")(_nomatch(hostkey="ssh-dss,x509v3-sign-rsa"))
scenario("nomatch-cipher")(_nomatch(cipher="3des-cbc,arcfour"))
scenario("nomatch-cipher-stoc")(_nomatch(cipher_stoc="3des-cbc"))
scenario("nomatch-mac")(_nomatch(mac="hmac-md5,umac-64@openssh.com"))
scenario("nomatch-mac-stoc")(_nomatch(mac_stoc="hmac-md5"))
scenario("nomatch-comp")(_nomatch(comp="zlib"))


@scenario("kexinit-follows")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng, follows=1), rng) +
                         packet(ecdh_reply(rng), rng))


@scenario("kexinit-twice")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(kexinit_payload(rng), rng))


# -- strict key exchange (Terrapin)

_EXTRA = {"ignore": ignore, "debug": debug, "unimpl": unimplemented}

for _kind, _mk in _EXTRA.items():
    def _before(strict, mk):
        def fn(rng, k):
            return Script().send(VERSION + packet(mk(), rng) +
                                 good_kex_tail(rng, strict=strict))
        return fn

    def _after(strict, mk):
        def fn(rng, k):
            return Script().send(VERSION + good_kex_tail(
                rng, strict=strict, before_reply=packet(mk(), rng)))
        return fn

    scenario("strict-%s-before-kexinit" % _kind)(_before(True, _mk))
    scenario("strict-%s-before-reply" % _kind)(_after(True, _mk))
    scenario("nostrict-%s-before-kexinit" % _kind)(_before(False, _mk))
    scenario("nostrict-%s-before-reply" % _kind)(_after(False, _mk))


@scenario("strict-ok")
def _(rng, k):
    # the control: strict marker and nothing injected
    return Script().send(VERSION + good_kex_tail(rng, strict=True))


# -- the curve25519 reply

@scenario("reply-pub-31")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) + packet(
        ecdh_reply(rng, pub=bytes(rng.getrandbits(8) for _ in range(31))), rng))


@scenario("reply-pub-33")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) + packet(
        ecdh_reply(rng, pub=bytes(rng.getrandbits(8) for _ in range(33))), rng))


@scenario("reply-pub-zero")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(ecdh_reply(rng, pub=b"\0" * 32), rng))


@scenario("reply-pub-order4")
def _(rng, k):
    # u = 1 is a point of order 4: the shared secret would be all zero
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) + packet(
        ecdh_reply(rng, pub=(1).to_bytes(32, "little")), rng))


@scenario("reply-bad-sig")
def _(rng, k):
    return Script().send(VERSION + good_kex_tail(rng))


@scenario("reply-sig-alg")
def _(rng, k):
    sig = string("rsa-sha2-256") + string(bytes(64))
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(ecdh_reply(rng, sig=sig), rng))


@scenario("reply-sig-short")
def _(rng, k):
    sig = string("ssh-ed25519") + string(bytes(63))
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(ecdh_reply(rng, sig=sig), rng))


@scenario("reply-hostkey-garbage")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) + packet(
        ecdh_reply(rng, hostkey=b"\0\0\0\x0bssh-ed25519\0\0\0\x05short"), rng))


@scenario("reply-hostkey-rsa")
def _(rng, k):
    # a well-formed RSA key where ssh-ed25519 was negotiated
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(ecdh_reply(rng, hostkey=rsa_blob(rng)), rng))


@scenario("reply-trailing")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(ecdh_reply(rng, trailer=b"\0"), rng))


@scenario("reply-truncated")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(ecdh_reply(rng)[:60], rng))


@scenario("reply-before-kexinit")
def _(rng, k):
    return Script().send(VERSION + packet(ecdh_reply(rng), rng))


@scenario("newkeys-early")
def _(rng, k):
    return Script().send(VERSION + packet(kexinit_payload(rng), rng) +
                         packet(bytes([MSG_NEWKEYS]), rng))


# -- the other key exchange methods' replies

def _arctan_inv(x, one):
    """arctan(1/x), scaled by one, from its alternating series."""
    total = term = one // x
    n, sign = 1, -1
    while term:
        term //= x * x
        total += sign * (term // (2 * n + 1))
        sign, n = -sign, n + 1
    return total


def _modp_2048():
    """The 2048-bit MODP group's prime (RFC 3526 section 3), computed
    from its definition 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] +
    124476) rather than copied."""
    one = 1 << (1918 + 64)
    pi = 16 * _arctan_inv(5, one) - 4 * _arctan_inv(239, one)
    return (2 ** 2048 - 2 ** 1984 - 1 +
            2 ** 64 * ((pi >> 64) + 124476))


P2048 = _modp_2048()
MSG_KEX_DH_GEX_GROUP = 31
MSG_KEX_DH_GEX_REPLY = 33


def dh_reply(rng, f, msg=MSG_KEX_ECDH_REPLY):
    sig = string("ssh-ed25519") + string(
        bytes(rng.getrandbits(8) for _ in range(64)))
    return (bytes([msg]) + string(ed25519_blob(rng)) + mpint_from_int(f) +
            string(sig))


def _dh14(f_of):
    def fn(rng, k):
        kex = packet(kexinit_payload(
            rng, kex="diffie-hellman-group14-sha256"), rng)
        return Script().send(VERSION + kex + packet(dh_reply(rng, f_of(rng)), rng))
    return fn


scenario("dh14-f-one")(_dh14(lambda rng: 1))
scenario("dh14-f-pminus1")(_dh14(lambda rng: P2048 - 1))
scenario("dh14-f-p")(_dh14(lambda rng: P2048))
scenario("dh14-bad-sig")(_dh14(lambda rng: pow(2, rng.getrandbits(512), P2048)))


def _gex(p, g, reply=True, trailer=b"", reply_msg=MSG_KEX_DH_GEX_REPLY):
    def fn(rng, k):
        kex = packet(kexinit_payload(
            rng, kex="diffie-hellman-group-exchange-sha256"), rng)
        group = bytes([MSG_KEX_DH_GEX_GROUP]) + mpint_from_int(p) + \
            mpint_from_int(g) + trailer
        out = VERSION + kex + packet(group, rng)
        if reply:
            f = pow(2, rng.getrandbits(512), P2048)
            out += packet(dh_reply(rng, f, reply_msg), rng)
        return Script().send(out)
    return fn


scenario("gex-group-1024")(_gex((P2048 >> 1024) | 1, 2))
scenario("gex-group-9000")(_gex((1 << 8999) | 1, 2))
scenario("gex-group-even")(_gex(P2048 + 1, 2))
scenario("gex-group-g1")(_gex(P2048, 1))
scenario("gex-group-gpminus1")(_gex(P2048, P2048 - 1))
scenario("gex-group-trailing")(_gex(P2048, 2, trailer=b"\0"))
scenario("gex-bad-sig")(_gex(P2048, 2))
scenario("gex-reply-as-group")(_gex(P2048, 2, reply_msg=MSG_KEX_DH_GEX_GROUP))


def _ecdh(pub):
    def fn(rng, k):
        kex = packet(kexinit_payload(rng, kex="ecdh-sha2-nistp256"), rng)
        return Script().send(VERSION + kex + packet(ecdh_reply(rng, pub=pub), rng))
    return fn


# (x, y) = (1, 1) is not on any of the NIST curves
scenario("ecdh-pub-offcurve")(_ecdh(b"\x04" + (1).to_bytes(32, "big") * 2))
scenario("ecdh-pub-compressed")(_ecdh(b"\x02" + (1).to_bytes(32, "big")))
scenario("ecdh-pub-empty")(_ecdh(b""))


# -- messages out of their phase

def _early(payload, after_kexinit=False):
    def fn(rng, k):
        pre = packet(kexinit_payload(rng), rng) if after_kexinit else b""
        return Script().send(VERSION + pre + packet(payload, rng))
    return fn


scenario("service-accept-early")(_early(bytes([MSG_SERVICE_ACCEPT]) +
                                        string("ssh-userauth")))
scenario("service-accept-after-kexinit")(_early(
    bytes([MSG_SERVICE_ACCEPT]) + string("ssh-userauth"), True))
scenario("userauth-success-early")(_early(bytes([MSG_USERAUTH_SUCCESS])))
scenario("userauth-success-after-kexinit")(_early(bytes([MSG_USERAUTH_SUCCESS]),
                                                  True))
scenario("ext-info-early")(_early(bytes([MSG_EXT_INFO]) + u32(0)))
scenario("channel-data-early")(_early(bytes([MSG_CHANNEL_DATA]) + u32(0) +
                                      string("data")))
scenario("kex-msg-40-early")(_early(bytes([40]), True))
scenario("msg-255-early")(_early(bytes([255])))


# -- DISCONNECT

ESCAPES = (b"\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[31;1mYOUR SYSTEM IS OWNED\r\n"
           b"\x1bP+q\x1b\\\x07\x08\x7f\x9b2J\xc2\x9b\0")


@scenario("disconnect-1mib")
def _(rng, k):
    desc = (ESCAPES * (1024 * 1024 // len(ESCAPES) + 1))[:1024 * 1024]
    return Script().send(VERSION + packet(disconnect(2, desc), rng))


@scenario("disconnect-escapes")
def _(rng, k):
    # as large as a packet may be, and all escapes
    desc = (ESCAPES * (200 * 1024 // len(ESCAPES) + 1))[:200 * 1024]
    return Script().send(VERSION + packet(disconnect(2, desc), rng))


@scenario("disconnect-lying-length")
def _(rng, k):
    payload = bytes([MSG_DISCONNECT]) + u32(2) + u32(1024 * 1024) + ESCAPES
    return Script().send(VERSION + packet(payload, rng))


# -- floods

FLOOD_COUNT = 100000


@scenario("ignore-flood")
def _(rng, k):
    # 100,000 IGNORE packets of ~1 KiB (about 100 MiB) before KEXINIT,
    # without the strict marker; then a kex that fails at the signature
    one = packet(ignore(bytes(rng.getrandbits(8) for _ in range(1000))), rng)
    per = 1000
    chunk = one * per
    s = Script().send(VERSION)
    for _i in range(FLOOD_COUNT // per):
        s.send(chunk)
    return s.send(good_kex_tail(rng))


@scenario("debug-flood")
def _(rng, k):
    one = packet(debug((ESCAPES * 8).decode("latin-1")), rng)
    return Script().send(VERSION + one * 20000 + good_kex_tail(rng))


# ------------------------------------------------------------ serving

def cases_of(name):
    return SCENARIOS[name][1]()


def script_of(name, k):
    fn = SCENARIOS[name][0]
    k %= cases_of(name)
    return fn(_rng(name, k), k)


def _drain(conn, done):
    try:
        while True:
            b = conn.recv(65536)
            if not b:
                break
    except OSError:
        pass
    done.set()


def serve_one(conn, name, k, hold):
    client_gone = threading.Event()
    t = threading.Thread(target=_drain, args=(conn, client_gone), daemon=True)
    t.start()
    closed = False
    try:
        for step in script_of(name, k).steps:
            if step[0] == "send":
                conn.sendall(step[1])
            elif step[0] == "sleep":
                time.sleep(step[1])
            elif step[0] == "close":
                conn.shutdown(socket.SHUT_WR)
                closed = True
    except OSError:
        pass            # the client hung up on us: that is its right
    # hold the connection until the client closes it
    client_gone.wait(hold)
    try:
        if not closed:
            conn.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    conn.close()


def serve(names, count, idle, hold):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print(ls.getsockname()[1], flush=True)
    ls.settimeout(idle)
    threads = []
    k = 0
    while count == 0 or k < count:
        try:
            conn, _addr = ls.accept()
        except socket.timeout:
            break
        t = threading.Thread(target=serve_one, daemon=True, args=(
            conn, names[k % len(names)], k // len(names), hold))
        t.start()
        threads.append(t)
        k += 1
    for t in threads:
        t.join(hold + 5)
    ls.close()


# fuzz_transport.c: flags byte, then four chunk sizes (0: the rest,
# 1-127 bytes, 128-255: (b - 127) KiB)
FUZZ_SCHEDULES = [b"\0\0\0\0", b"\1\1\1\1", b"\x83\x05\x80\x11"]


def dump(directory, max_bytes, fuzz_header):
    os.makedirs(directory, exist_ok=True)
    i = 0
    for name in sorted(SCENARIOS):
        n = cases_of(name)
        # a handful of variants is enough for a seed corpus
        picks = range(n) if n <= 8 else sorted(set(
            [0, 1, n // 4, n // 2, (3 * n) // 4, n - 2, n - 1]))
        for k in picks:
            data = script_of(name, k).data()[:max_bytes]
            if fuzz_header:
                sched = FUZZ_SCHEDULES[i % len(FUZZ_SCHEDULES)]
                if len(data) > 4096 and sched == FUZZ_SCHEDULES[1]:
                    sched = FUZZ_SCHEDULES[2]   # keep seeds quick to run
                data = b"\0" + sched + data
                i += 1
            fname = name if n == 1 else "%s-%03d" % (name, k)
            with open(os.path.join(directory, fname), "wb") as f:
                f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("--list", action="store_true",
                    help="print the scenario names")
    ap.add_argument("--cases", action="store_true",
                    help="print how many variants SCENARIO has")
    ap.add_argument("--count", type=int, default=0,
                    help="exit after this many connections (0: no limit)")
    ap.add_argument("--idle", type=float, default=30.0,
                    help="exit after this long without a connection")
    ap.add_argument("--hold", type=float, default=30.0,
                    help="keep each connection open this long at most")
    ap.add_argument("--dump", metavar="DIR",
                    help="write every scenario's bytes into DIR")
    ap.add_argument("--max-bytes", type=int, default=32768,
                    help="with --dump: cut each file at this size")
    ap.add_argument("--fuzz-header", action="store_true",
                    help="with --dump: start each file with the header of "
                    "tests/fuzz/fuzz_transport.c")
    ap.add_argument("--hexdump", action="store_true",
                    help="print SCENARIO's bytes (variant 0) in hex")
    a = ap.parse_args()
    if a.list:
        print("\n".join(sorted(SCENARIOS)))
        return 0
    if a.dump:
        dump(a.dump, a.max_bytes, a.fuzz_header)
        return 0
    names = (a.scenario or "").split(",")
    for name in names:
        if name not in SCENARIOS:
            print("hostile_server.py: unknown scenario %r (see --list)" %
                  name, file=sys.stderr)
            return 2
    if a.cases:
        print(cases_of(names[0]))
        return 0
    if a.hexdump:
        print(script_of(names[0], 0).data()[:4096].hex())
        return 0
    serve(names, a.count, a.idle, a.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
