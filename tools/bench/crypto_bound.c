// SPDX-License-Identifier: GPL-2.0-only
/*
 * crypto_bound.c - the crypto-bound ceiling of a full mTLS TLS 1.3
 * handshake on this machine, server side, measured with wolfCrypt: one key
 * share (X25519 keygen + agree), one signature (CertificateVerify) and two
 * verifications (the client certificate's signature by the CA and the
 * client's CertificateVerify), for ECDSA P-256 and for Ed25519.
 *
 *   crypto_bound [--runs R] [--seconds S]
 *
 * One JSON line per run and signature algorithm: µs per operation and
 * their sum, bound_us. Hashing, HKDF and AEAD are left out: they are a
 * few µs next to hundreds.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/random.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

static WC_RNG rng;
static double seconds = 0.3;

/* Run op for `seconds`; µs per call, or -1 when it fails. */
static double time_op(int (*op)(void *), void *ctx)
{
	double t0 = now_s(), t;
	long n = 0;

	do {
		for (int i = 0; i < 16; i++, n++)
			if (op(ctx))
				return -1;
		t = now_s();
	} while (t - t0 < seconds);
	return (t - t0) * 1e6 / n;
}

struct x25519 {
	curve25519_key peer;
};

static int op_x25519(void *c)
{
	struct x25519 *x = c;
	curve25519_key k;
	byte out[32];
	word32 len = sizeof(out);
	int err;

	wc_curve25519_init(&k);
	err = wc_curve25519_make_key(&rng, 32, &k)
		      ?: wc_curve25519_shared_secret(&k, &x->peer, out, &len);
	wc_curve25519_free(&k);
	return err;
}

/* What a CertificateVerify signs: 64 spaces, a context, a hash. */
static byte msg[130];
static byte hash[32];

struct p256 {
	ecc_key key;
	byte sig[ECC_MAX_SIG_SIZE];
	word32 siglen;
};

static int op_p256_sign(void *c)
{
	struct p256 *p = c;

	p->siglen = sizeof(p->sig);
	return wc_ecc_sign_hash(hash, sizeof(hash), p->sig, &p->siglen, &rng,
				&p->key);
}

static int op_p256_verify(void *c)
{
	struct p256 *p = c;
	int res = 0, err = wc_ecc_verify_hash(p->sig, p->siglen, hash,
					      sizeof(hash), &res, &p->key);

	return err ?: !res;
}

struct ed {
	ed25519_key key;
	byte sig[ED25519_SIG_SIZE];
	word32 siglen;
};

static int op_ed_sign(void *c)
{
	struct ed *e = c;

	e->siglen = sizeof(e->sig);
	return wc_ed25519_sign_msg(msg, sizeof(msg), e->sig, &e->siglen,
				   &e->key);
}

static int op_ed_verify(void *c)
{
	struct ed *e = c;
	int res = 0, err = wc_ed25519_verify_msg(e->sig, e->siglen, msg,
						 sizeof(msg), &res, &e->key);

	return err ?: !res;
}

static void report(const char *alg, int run, double kx, double sign,
		   double verify)
{
	printf("{\"alg\":\"%s\",\"run\":%d,\"x25519_us\":%.2f,\"sign_us\":%.2f,"
	       "\"verify_us\":%.2f,\"bound_us\":%.2f}\n",
	       alg, run, kx, sign, verify, kx + sign + 2 * verify);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"runs", 1, 0, 'r'}, {"seconds", 1, 0, 's'}, {0}};
	static struct x25519 x;
	static struct p256 p;
	static struct ed e;
	double kx, s, v;
	int runs = 5, c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'r')
			runs = atoi(optarg);
		else if (c == 's')
			seconds = atof(optarg);
		else {
			fprintf(stderr,
				"Usage: crypto_bound [--runs R] [--seconds S]\n");
			return 2;
		}
	}
	memset(msg, ' ', 64);
	memcpy(msg + 64, "TLS 1.3, server CertificateVerify", 34);
	for (size_t i = 98; i < sizeof(msg); i++)
		msg[i] = hash[i - 98] = (byte)i;
	if (wc_InitRng(&rng) || wc_curve25519_init(&x.peer) ||
	    wc_curve25519_make_key(&rng, 32, &x.peer) || wc_ecc_init(&p.key) ||
	    wc_ecc_make_key(&rng, 32, &p.key) || wc_ed25519_init(&e.key) ||
	    wc_ed25519_make_key(&rng, ED25519_KEY_SIZE, &e.key) ||
	    op_p256_sign(&p) || op_ed_sign(&e)) {
		fprintf(stderr, "crypto_bound: wolfCrypt setup failed\n");
		return 1;
	}
	for (int r = 1; r <= runs; r++) {
		kx = time_op(op_x25519, &x);
		s = time_op(op_p256_sign, &p);
		v = time_op(op_p256_verify, &p);
		if (kx < 0 || s < 0 || v < 0)
			return 1;
		report("p256", r, kx, s, v);
		s = time_op(op_ed_sign, &e);
		v = time_op(op_ed_verify, &e);
		if (s < 0 || v < 0)
			return 1;
		report("ed25519", r, kx, s, v);
	}
	return 0;
}
