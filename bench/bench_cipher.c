/*
 * bench_cipher: throughput of the packet ciphers (cipher_crypt, plus
 * mac_compute for AES-CTR with an -etm MAC) at 32 KiB packets, next to the
 * raw primitive driven the same way:
 *
 *   AES-GCM            EVP: new nonce, 4 bytes of AAD, 32 KiB, tag
 *   chacha20-poly1305  libsodium: chacha20 over 32 KiB (block counter 1)
 *                      and poly1305 over 32 KiB
 *   AES-CTR            EVP: one 32 KiB update
 *   AES-CTR + HMAC     EVP update, then EVP_MAC restart, update, final
 *
 * Decryption reads packets from a ring of 64 distinct packets (GCM needs
 * a new nonce per packet) into one output buffer, ours and raw alike.
 *
 * Time is the thread's CPU time, and each figure the best of 5 slices of
 * 1/5 of the duration (default 1 s), ours and raw alternating, so that a
 * busy machine disturbs both alike.  MB/s are 10^6 bytes of payload per second; the ratio is ours
 * over raw: what the packet construction (length field, nonce, tag
 * checked before any plaintext is released) costs over the primitive.
 *
 *   make bench-cipher     or     ./bench/bench_cipher [seconds]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "common/err.h"
#include "transport/cipher.h"

#define PAYLOAD (32 * 1024)
#define PKT_LEN (4 + PAYLOAD)
#define SLOT (PKT_LEN + 64)   /* a packet, its tag, room to spare */
#define RING 64
#define SLICES 5

static double duration = 1.0;

struct bench {
	const char *evp_name;
	unsigned char key[64], iv[16];
	unsigned char *buf;       /* one SLOT: the packet worked on */
	unsigned char *ring;      /* RING slots of ready packets */
	unsigned char ring_iv[RING][12];
	unsigned int next;        /* next packet of the ring */
	uint32_t seqnr;
	struct cipher_ctx *cc;
	struct mac_ctx *mc;
	unsigned char mac[64], tag[16];
	EVP_CIPHER_CTX *evp;
	EVP_MAC_CTX *hmac;
};

/* CPU time of this thread: time spent descheduled while other processes
 * run does not count against either side. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_cipher: %s failed\n", what);
	exit(1);
}

/* MB/s of payload through fn over one slice. */
static double
measure(void (*fn)(struct bench *), struct bench *b, double seconds)
{
	double start, t;
	unsigned long n = 0;
	int i;

	start = now();
	do {
		for (i = 0; i < 16; i++)
			fn(b);
		n += 16;
		t = now();
	} while (t - start < seconds);
	return (double)n * PAYLOAD / (t - start) / 1e6;
}

static void
compare(const char *name, const char *what,
    void (*ours)(struct bench *), struct bench *bo,
    void (*raw)(struct bench *), struct bench *br)
{
	double o = 0, r = 0, x;
	int i;

	/* warm-up: caches, lazily allocated buffers */
	measure(ours, bo, 0.02);
	measure(raw, br, 0.02);
	for (i = 0; i < SLICES; i++) {
		if ((x = measure(ours, bo, duration / SLICES)) > o)
			o = x;
		if ((x = measure(raw, br, duration / SLICES)) > r)
			r = x;
	}
	printf("%-30s %-8s %10.0f %10.0f %7.1f%%\n", name, what, o, r,
	    100.0 * o / r);
	fflush(stdout);
}

/* ---- set-up */

static void
bench_init(struct bench *b, const char *evp_name)
{
	memset(b, 0, sizeof(*b));
	b->evp_name = evp_name;
	if ((b->buf = calloc(1, SLOT)) == NULL ||
	    (b->ring = calloc(RING, SLOT)) == NULL)
		die("calloc");
	randombytes_buf(b->key, sizeof(b->key));
	randombytes_buf(b->iv, sizeof(b->iv));
	randombytes_buf(b->buf, PKT_LEN);
	b->buf[0] = 0;  /* a plausible packet length */
}

static void
bench_free(struct bench *b)
{
	cipher_free(b->cc);
	mac_free(b->mc);
	EVP_CIPHER_CTX_free(b->evp);
	EVP_MAC_CTX_free(b->hmac);
	free(b->buf);
	free(b->ring);
}

static void
ours_init(struct bench *b, const char *cipher, const char *mac, int enc)
{
	const struct cipher_impl *ci = cipher_by_name(cipher);
	const struct mac_impl *mi = mac == NULL ? NULL : mac_by_name(mac);

	cipher_free(b->cc);
	b->cc = NULL;
	if (ci == NULL || (mac != NULL && mi == NULL) ||
	    cipher_init(&b->cc, ci, b->key, ci->key_len, b->iv, ci->iv_len,
	    enc) != ERR_OK)
		die("cipher_init");
	if (mi != NULL && mac_init(&b->mc, mi, b->key, mi->key_len) != ERR_OK)
		die("mac_init");
}

static void
raw_init(struct bench *b, int enc)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, b->evp_name, NULL);

	if (c == NULL || (b->evp = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(b->evp, c, NULL, b->key, b->iv, enc) != 1)
		die(b->evp_name);
	EVP_CIPHER_free(c);
}

static void
raw_hmac_init(struct bench *b, const char *digest, size_t key_len)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM p[2];

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)digest, 0);
	p[1] = OSSL_PARAM_construct_end();
	if (m == NULL || (b->hmac = EVP_MAC_CTX_new(m)) == NULL ||
	    EVP_MAC_init(b->hmac, b->key, key_len, p) != 1)
		die("hmac");
	EVP_MAC_free(m);
}

/* Fills the ring with RING consecutive packets of an encrypting context
 * of ours, noting each GCM nonce (iv, then the counter incremented). */
static void
ring_fill(struct bench *b, const char *cipher)
{
	struct cipher_ctx *enc;
	const struct cipher_impl *ci = cipher_by_name(cipher);
	unsigned int i;
	int j;

	if (cipher_init(&enc, ci, b->key, ci->key_len, b->iv, ci->iv_len,
	    1) != ERR_OK)
		die("cipher_init");
	memcpy(b->ring_iv[0], b->iv, 12);
	for (i = 0; i < RING; i++) {
		if (i > 0) {
			memcpy(b->ring_iv[i], b->ring_iv[i - 1], 12);
			for (j = 11; j >= 4 && ++b->ring_iv[i][j] == 0; j--)
				;
		}
		if (cipher_crypt(enc, i, b->ring + (size_t)i * SLOT, b->buf,
		    PKT_LEN, 4) != ERR_OK)
			die("cipher_crypt");
	}
	cipher_free(enc);
}

/* ---- ours */

static void
ours_encrypt(struct bench *b)
{
	if (cipher_crypt(b->cc, b->seqnr++, b->buf, b->buf, PKT_LEN, 4) !=
	    ERR_OK)
		die("cipher_crypt");
}

static void
ours_encrypt_mac(struct bench *b)
{
	if (cipher_crypt(b->cc, b->seqnr, b->buf, b->buf, PKT_LEN, 4) !=
	    ERR_OK ||
	    mac_compute(b->mc, b->seqnr, b->buf, PKT_LEN, b->mac) != ERR_OK)
		die("cipher_crypt/mac_compute");
	b->seqnr++;
}

static void
ours_decrypt(struct bench *b)
{
	const unsigned char *pkt = b->ring + (size_t)b->next * SLOT;

	if (cipher_crypt(b->cc, b->next, b->buf, pkt, PKT_LEN, 4) != ERR_OK)
		die("cipher_crypt (decrypt)");
	/* at the end of the ring, a new context starts again at packet 0;
	 * its set-up is counted against us */
	if (++b->next == RING) {
		b->next = 0;
		ours_init(b, cipher_ctx_impl(b->cc)->name, NULL, 0);
	}
}

/* ---- raw */

static void
raw_gcm_encrypt(struct bench *b)
{
	int outl;

	if (EVP_EncryptInit_ex(b->evp, NULL, NULL, NULL, b->iv) != 1 ||
	    EVP_EncryptUpdate(b->evp, NULL, &outl, b->buf, 4) != 1 ||
	    EVP_EncryptUpdate(b->evp, b->buf + 4, &outl, b->buf + 4,
	    PAYLOAD) != 1 ||
	    EVP_EncryptFinal_ex(b->evp, b->buf + PKT_LEN, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(b->evp, EVP_CTRL_AEAD_GET_TAG, 16,
	    b->buf + PKT_LEN) != 1)
		die("raw gcm");
}

static void
raw_gcm_decrypt(struct bench *b)
{
	const unsigned char *pkt = b->ring + (size_t)b->next * SLOT;
	int outl;

	memcpy(b->tag, pkt + PKT_LEN, 16);
	if (EVP_DecryptInit_ex(b->evp, NULL, NULL, NULL,
	    b->ring_iv[b->next]) != 1 ||
	    EVP_DecryptUpdate(b->evp, NULL, &outl, pkt, 4) != 1 ||
	    EVP_CIPHER_CTX_ctrl(b->evp, EVP_CTRL_AEAD_SET_TAG, 16,
	    b->tag) != 1 ||
	    EVP_DecryptUpdate(b->evp, b->buf + 4, &outl, pkt + 4,
	    PAYLOAD) != 1 ||
	    EVP_DecryptFinal_ex(b->evp, b->buf + PKT_LEN, &outl) != 1)
		die("raw gcm decrypt");
	b->next = (b->next + 1) % RING;
}

static void
raw_chachapoly_encrypt(struct bench *b)
{
	unsigned char nonce[8] = { 0 };

	crypto_stream_chacha20_xor_ic(b->buf, b->buf, PAYLOAD, nonce, 1,
	    b->key);
	crypto_onetimeauth_poly1305(b->tag, b->buf, PAYLOAD, b->key + 32);
}

/* The ring packets' bodies, with a tag over the body alone under a
 * fixed Poly1305 key: the same amount of work as ours minus the
 * construction. */
static void
raw_chachapoly_decrypt(struct bench *b)
{
	const unsigned char *pkt = b->ring + (size_t)b->next * SLOT;
	unsigned char nonce[8] = { 0 };

	if (crypto_onetimeauth_poly1305_verify(pkt + PKT_LEN, pkt + 4,
	    PAYLOAD, b->key + 32) != 0)
		die("raw poly1305 verify");
	crypto_stream_chacha20_xor_ic(b->buf, pkt + 4, PAYLOAD, nonce, 1,
	    b->key);
	b->next = (b->next + 1) % RING;
}

/* For reference only: the same two primitives from OpenSSL (its RFC 8439
 * ChaCha20 with the original layout: IV = counter 1 || 0 || nonce), to
 * show what libsodium's implementations cost on this machine. */
static void
raw_openssl_chachapoly(struct bench *b)
{
	static const unsigned char iv[16] = { 1 };
	size_t outl;
	int l;

	if (EVP_EncryptInit_ex(b->evp, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(b->evp, b->buf, &l, b->buf, PAYLOAD) != 1 ||
	    EVP_MAC_init(b->hmac, b->key + 32, 32, NULL) != 1 ||
	    EVP_MAC_update(b->hmac, b->buf, PAYLOAD) != 1 ||
	    EVP_MAC_final(b->hmac, b->tag, &outl, sizeof(b->tag)) != 1)
		die("raw openssl chacha20/poly1305");
}

static void
raw_ctr(struct bench *b)
{
	int outl;

	if (EVP_EncryptUpdate(b->evp, b->buf + 4, &outl, b->buf + 4,
	    PAYLOAD) != 1)
		die("raw ctr");
}

static void
raw_ctr_hmac(struct bench *b)
{
	size_t outl;
	int l;

	if (EVP_EncryptUpdate(b->evp, b->buf + 4, &l, b->buf + 4,
	    PAYLOAD) != 1 ||
	    EVP_MAC_init(b->hmac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(b->hmac, b->buf, PKT_LEN) != 1 ||
	    EVP_MAC_final(b->hmac, b->mac, &outl, sizeof(b->mac)) != 1)
		die("raw ctr+hmac");
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name, *evp;
	} gcm[] = {
		{ "aes128-gcm@openssh.com", "AES-128-GCM" },
		{ "aes256-gcm@openssh.com", "AES-256-GCM" },
	}, ctr[] = {
		{ "aes128-ctr", "AES-128-CTR" },
		{ "aes192-ctr", "AES-192-CTR" },
		{ "aes256-ctr", "AES-256-CTR" },
	};
	static const struct {
		const char *name, *digest;
		size_t key_len;
	} macs[] = {
		{ "hmac-sha2-256-etm@openssh.com", "SHA2-256", 32 },
		{ "hmac-sha2-512-etm@openssh.com", "SHA2-512", 64 },
	};
	const char *cp = "chacha20-poly1305@openssh.com";
	struct bench o, r;
	size_t i;
	unsigned int k;

	if (argc > 1 && (duration = atof(argv[1])) <= 0)
		duration = 1.0;
	if (sodium_init() < 0)
		die("sodium_init");
	printf("%d-byte payloads; best of %d slices over %.1f s each\n",
	    PAYLOAD, SLICES, duration);
	printf("%-30s %-8s %10s %10s %8s\n", "cipher", "", "ours MB/s",
	    "raw MB/s", "ratio");

	bench_init(&o, NULL);
	bench_init(&r, NULL);
	ours_init(&o, cp, NULL, 1);
	compare(cp, "encrypt", ours_encrypt, &o, raw_chachapoly_encrypt, &r);
	ring_fill(&o, cp);
	ours_init(&o, cp, NULL, 0);
	memcpy(r.ring, o.ring, (size_t)RING * SLOT);
	memcpy(r.key, o.key, sizeof(r.key));
	for (k = 0; k < RING; k++)
		crypto_onetimeauth_poly1305(r.ring + (size_t)k * SLOT +
		    PKT_LEN, r.ring + (size_t)k * SLOT + 4, PAYLOAD,
		    r.key + 32);
	compare(cp, "decrypt", ours_decrypt, &o, raw_chachapoly_decrypt, &r);
	bench_free(&o);
	bench_free(&r);
	{
		EVP_MAC *m = EVP_MAC_fetch(NULL, "POLY1305", NULL);

		bench_init(&o, "ChaCha20");
		bench_init(&r, NULL);
		raw_init(&o, 1);
		if (m == NULL || (o.hmac = EVP_MAC_CTX_new(m)) == NULL)
			die("poly1305");
		EVP_MAC_free(m);
		compare("(raw OpenSSL vs libsodium)", "encrypt",
		    raw_openssl_chachapoly, &o, raw_chachapoly_encrypt, &r);
		bench_free(&o);
		bench_free(&r);
	}

	for (i = 0; i < sizeof(gcm) / sizeof(gcm[0]); i++) {
		bench_init(&o, gcm[i].evp);
		bench_init(&r, gcm[i].evp);
		ours_init(&o, gcm[i].name, NULL, 1);
		raw_init(&r, 1);
		compare(gcm[i].name, "encrypt", ours_encrypt, &o,
		    raw_gcm_encrypt, &r);
		ring_fill(&o, gcm[i].name);
		ours_init(&o, gcm[i].name, NULL, 0);
		EVP_CIPHER_CTX_free(r.evp);
		memcpy(r.key, o.key, sizeof(r.key));
		memcpy(r.iv, o.iv, sizeof(r.iv));
		memcpy(r.ring, o.ring, (size_t)RING * SLOT);
		memcpy(r.ring_iv, o.ring_iv, sizeof(r.ring_iv));
		raw_init(&r, 0);
		compare(gcm[i].name, "decrypt", ours_decrypt, &o,
		    raw_gcm_decrypt, &r);
		bench_free(&o);
		bench_free(&r);
	}

	for (i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++) {
		bench_init(&o, ctr[i].evp);
		bench_init(&r, ctr[i].evp);
		ours_init(&o, ctr[i].name, NULL, 1);
		raw_init(&r, 1);
		compare(ctr[i].name, "encrypt", ours_encrypt, &o, raw_ctr, &r);
		bench_free(&o);
		bench_free(&r);
	}
	for (i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		char label[64];

		snprintf(label, sizeof(label), "aes128-ctr + %.13s",
		    macs[i].name);
		bench_init(&o, "AES-128-CTR");
		bench_init(&r, "AES-128-CTR");
		ours_init(&o, "aes128-ctr", macs[i].name, 1);
		raw_init(&r, 1);
		raw_hmac_init(&r, macs[i].digest, macs[i].key_len);
		compare(label, "enc+etm", ours_encrypt_mac, &o, raw_ctr_hmac,
		    &r);
		bench_free(&o);
		bench_free(&r);
	}
	return 0;
}
