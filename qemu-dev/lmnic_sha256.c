/*
 * lmnic PCIe network adapter: SHA-256 of images and blocks
 *
 * The adapter hashes every image it saves and loads and every block it
 * digests. With the host's SHA extensions it runs the compression on
 * them (some 2 GB/s); without, GLib computes the same digest.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"

#include "lmnic_core.h"

#ifdef HOST_X86_64
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t lmnic_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
    0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
    0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
    0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/*
 * NBLOCKS 64-byte blocks at P into STATE. The SHA instructions keep the
 * working variables as ABEF and CDGH; each group of four rounds extends
 * the message schedule by four words (msg1, the W[t-7] term, msg2).
 */
static void __attribute__((target("sha,sse4.1,ssse3")))
lmnic_sha256_ni(uint32_t state[8], const uint8_t *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
                                         0x0405060700010203ULL);
    __m128i abef, cdgh, tmp, k, m[4];
    unsigned g;

    tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]),
                            0xb1);                          /* CDAB */
    cdgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]),
                             0x1b);                         /* EFGH */
    abef = _mm_alignr_epi8(tmp, cdgh, 8);
    cdgh = _mm_blend_epi16(cdgh, tmp, 0xf0);

    for (; nblocks; nblocks--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh;

        for (g = 0; g < 16; g++) {
            __m128i *x = &m[g & 3];

            if (g < 4) {
                *x = _mm_shuffle_epi8(
                    _mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
            } else {
                /* m[g & 3] holds the words of group g - 4 */
                *x = _mm_sha256msg1_epu32(*x, m[(g - 3) & 3]);
                *x = _mm_add_epi32(*x, _mm_alignr_epi8(m[(g - 1) & 3],
                                                       m[(g - 2) & 3], 4));
                *x = _mm_sha256msg2_epu32(*x, m[(g - 1) & 3]);
            }
            k = _mm_add_epi32(*x, _mm_loadu_si128(
                                  (const __m128i *)&lmnic_sha256_k[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
            abef = _mm_sha256rnds2_epu32(abef, cdgh,
                                         _mm_shuffle_epi32(k, 0x0e));
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    tmp = _mm_shuffle_epi32(abef, 0x1b);                    /* FEBA */
    cdgh = _mm_shuffle_epi32(cdgh, 0xb1);                   /* DCHG */
    _mm_storeu_si128((__m128i *)&state[0],
                     _mm_blend_epi16(tmp, cdgh, 0xf0));     /* DCBA */
    _mm_storeu_si128((__m128i *)&state[4],
                     _mm_alignr_epi8(cdgh, tmp, 8));        /* HGFE */
}

static bool lmnic_sha256_have_ni(void)
{
    static int have = -1;
    unsigned a, b, c, d;

    if (have < 0) {
        have = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA) &&
               __builtin_cpu_supports("sse4.1") &&
               __builtin_cpu_supports("ssse3");
    }
    return have;
}
#else
static void lmnic_sha256_ni(uint32_t state[8], const uint8_t *p,
                            size_t nblocks)
{
    g_assert_not_reached();
}

static bool lmnic_sha256_have_ni(void)
{
    return false;
}
#endif

void lmnic_sha256_init(LmnicSha256 *h, bool accel)
{
    static const uint32_t iv[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

    memset(h, 0, sizeof(*h));
    if (accel && lmnic_sha256_have_ni()) {
        memcpy(h->state, iv, sizeof(iv));
    } else {
        h->glib = g_checksum_new(G_CHECKSUM_SHA256);
    }
}

void lmnic_sha256_update(LmnicSha256 *h, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t n;

    if (h->glib) {
        g_checksum_update(h->glib, p, len);
        return;
    }
    h->len += len;
    if (h->fill) {
        n = MIN(len, sizeof(h->block) - h->fill);
        memcpy(h->block + h->fill, p, n);
        h->fill += n;
        p += n;
        len -= n;
        if (h->fill < sizeof(h->block)) {
            return;
        }
        lmnic_sha256_ni(h->state, h->block, 1);
        h->fill = 0;
    }
    n = len / sizeof(h->block);
    if (n) {
        lmnic_sha256_ni(h->state, p, n);
        p += n * sizeof(h->block);
        len -= n * sizeof(h->block);
    }
    memcpy(h->block, p, len);
    h->fill = len;
}

void lmnic_sha256_final(LmnicSha256 *h, uint8_t digest[LMNIC_SHA256_LEN])
{
    gsize dlen = LMNIC_SHA256_LEN;
    uint64_t bits = h->len * 8;
    unsigned i;

    if (h->glib) {
        g_checksum_get_digest(h->glib, digest, &dlen);
        g_checksum_free(h->glib);
        h->glib = NULL;
        return;
    }
    /* 0x80, zeroes to 56 bytes into a block, the length in bits */
    h->block[h->fill++] = 0x80;
    if (h->fill > 56) {
        memset(h->block + h->fill, 0, sizeof(h->block) - h->fill);
        lmnic_sha256_ni(h->state, h->block, 1);
        h->fill = 0;
    }
    memset(h->block + h->fill, 0, 56 - h->fill);
    stq_be_p(h->block + 56, bits);
    lmnic_sha256_ni(h->state, h->block, 1);
    for (i = 0; i < 8; i++) {
        stl_be_p(digest + 4 * i, h->state[i]);
    }
}
