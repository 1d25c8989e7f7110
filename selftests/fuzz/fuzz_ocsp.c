// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_ocsp.c - libFuzzer + ASan harness for the OCSP wire format
 * (userspace/lib/ocsp.c, which needs only libc): arbitrary bytes go to
 * the strict OCSPRequest decoder and, as a string, to the GET path
 * decoder; whatever decodes is answered through the response encoder,
 * and the decoder's promises are checked on the way (pointers inside the
 * input, hash lengths, serial hex, a well-formed outer response).
 *
 * Build and run (from the checkout):
 *   clang -g -O1 -fsanitize=fuzzer,address -I. -Iuserspace -D_GNU_SOURCE \
 *     selftests/fuzz/fuzz_ocsp.c userspace/lib/ocsp.c -o build/fuzz_ocsp
 *   mkdir -p build/fuzz_ocsp_corpus   # seed it with `openssl ocsp -reqout`
 *   build/fuzz_ocsp -max_total_time=60 -max_len=4096 build/fuzz_ocsp_corpus
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ocsp.h"

static void check_request(const uint8_t *data, size_t size,
			  const struct ocsp_request *q)
{
	struct ocsp_single s[OCSP_MAX_REQUESTS];
	struct ocsp_tbs t = {.now = 1764806400, .next_update_s = 3600};
	static const uint8_t sigalg[] = {0x30, 0x05, 0x06, 0x03,
					 0x2b, 0x65, 0x70};
	uint8_t *tbs = NULL, *resp = NULL, sig[64] = {0};
	size_t tbs_len, resp_len, hl, i, hash;
	const uint8_t *end = data + size;

	if (q->n < 1 || q->n > OCSP_MAX_REQUESTS)
		abort();
	if (q->nonce_len && (q->nonce < data || q->nonce + q->nonce_len > end ||
			     q->nonce_len > OCSP_NONCE_MAX))
		abort();
	for (i = 0; i < q->n; i++) {
		const struct ocsp_cert_id *id = &q->ids[i];

		hash = id->hash == OCSP_HASH_SHA1 ? 20 : 32;
		if (id->der < data || id->der + id->der_len > end ||
		    id->name_hash < id->der || id->key_hash < id->der ||
		    id->key_hash + hash > id->der + id->der_len ||
		    strlen(id->serial) % 2 ||
		    strspn(id->serial, "0123456789abcdef") !=
			    strlen(id->serial))
			abort();
		s[i].id = id;
		s[i].status = (id->der[id->der_len - 1] + i) % 3;
		s[i].revoked_at = 1700000000 + id->der_len;
		s[i].reason = (int)(id->der[id->der_len - 1] % 12) - 1;
	}
	t.single = s;
	t.n = q->n;
	t.nonce = q->nonce;
	t.nonce_len = q->nonce_len;
	if (ocsp_encode_tbs(&t, &tbs, &tbs_len))
		abort();
	if (ocsp_encode_basic(tbs, tbs_len, sigalg, sizeof(sigalg), sig,
			      sizeof(sig), data, size < 64 ? size : 64, &resp,
			      &resp_len))
		abort();
	/* the outer SEQUENCE spans the whole response, exactly */
	hl = resp[1] < 0x80 ? 2 : 2 + (resp[1] & 0x7f);
	if (resp[0] != 0x30 || hl > resp_len)
		abort();
	if (resp[1] < 0x80) {
		if (resp[1] != resp_len - 2)
			abort();
	} else {
		size_t len = 0, k;

		for (k = 2; k < hl; k++)
			len = len << 8 | resp[k];
		if (len != resp_len - hl)
			abort();
	}
	free(tbs);
	free(resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocsp_request q;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char *path;

	if (!ocsp_request_decode(data, size, &q))
		check_request(data, size, &q);

	path = malloc(size + 1);
	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = 0;
	if (!ocsp_decode_get_path(path, &der, &der_len)) {
		if (!der_len || !der)
			abort();
		if (!ocsp_request_decode(der, der_len, &q))
			check_request(der, der_len, &q);
		free(der);
	} else if (der) {
		abort(); /* nothing handed out on failure */
	}
	free(path);
	return 0;
}
