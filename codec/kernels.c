/* The weight codec's hot loops (tfjs_export.codec._codec wraps them for Python).

Every function takes C-contiguous buffers, allocates nothing and may run without the GIL. The
bit-exactness contracts are stated in codec/quantization.py and in _codec.pyx's docstring; this
file implements them. Compile with -ffp-contract=off -fno-fast-math (codec/BUILD): an FMA would
change the bits of the float64 quantise / dequantise expressions. */

#include <string.h>

#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CODEC_X86 1
#else
#define CODEC_X86 0
#endif

/* ---------------- float32 -> float16 (portable) ---------------- */
static inline uint16_t codec_f2h(uint32_t f) {
    uint32_t sign = (f >> 16) & 0x8000u;
    uint32_t a = f & 0x7fffffffu;
    if (a >= 0x7f800000u) {                 /* inf or NaN */
        uint32_t m;
        if (a == 0x7f800000u) return (uint16_t)(sign | 0x7c00u);
        m = (a & 0x007fffffu) >> 13;
        return (uint16_t)(sign | 0x7c00u | (m ? m : 1u));
    }
    if (a >= 0x477ff000u)                   /* >= 65520: rounds to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (a >= 0x38800000u) {                 /* half normal range */
        uint32_t h = a - 0x38000000u;       /* rebias 127 -> 15 */
        h += 0x0fffu + ((h >> 13) & 1u);    /* round to nearest even */
        return (uint16_t)(sign | (h >> 13));
    }
    if (a < 0x33000000u)                    /* <= 2^-25 (tie) -> 0 */
        return (uint16_t)sign;
    {                                       /* half subnormal */
        uint32_t e = a >> 23;               /* 102..112 */
        uint32_t m = (a & 0x007fffffu) | 0x00800000u;
        uint32_t s = 126u - e;              /* 14..24 */
        uint32_t k = (m + ((1u << (s - 1)) - 1u) + ((m >> s) & 1u)) >> s;
        return (uint16_t)(sign | k);
    }
}

static void codec_f32_to_f16_portable(const float *src, uint16_t *dst, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t f;
        memcpy(&f, src + i, 4);
        dst[i] = codec_f2h(f);
    }
}

#if CODEC_X86 && defined(__GNUC__)
__attribute__((target("avx,f16c")))
static void codec_f32_to_f16_f16c(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(src + i);
        __m128i h = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        if (_mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)))
            codec_f32_to_f16_portable(src + i, dst + i, 8);
        else
            _mm_storeu_si128((__m128i *)(dst + i), h);
    }
    codec_f32_to_f16_portable(src + i, dst + i, n - i);
}
int codec_have_f16c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
}
#else
static void codec_f32_to_f16_f16c(const float *src, uint16_t *dst, size_t n) {
    codec_f32_to_f16_portable(src, dst, n);
}
int codec_have_f16c(void) { return 0; }
#endif

static int codec_use_f16c = -1;

void codec_f32_to_f16(const float *src, uint16_t *dst, size_t n, int allow_hw) {
    if (codec_use_f16c < 0) codec_use_f16c = codec_have_f16c();
    if (allow_hw && codec_use_f16c) codec_f32_to_f16_f16c(src, dst, n);
    else codec_f32_to_f16_portable(src, dst, n);
}

/* ---------------- min / max of float32 ---------------- */
/* Returns 1 if every value is finite. min/max are only meaningful then. */
int codec_minmax_f32(const float *src, size_t n, float *pmin, float *pmax) {
    size_t i = 0;
    float mn = src[0], mx = src[0];
    uint32_t bad = 0;
#if defined(__SSE2__)
    if (n >= 16) {
        __m128 mn0 = _mm_loadu_ps(src), mn1 = mn0, mx0 = mn0, mx1 = mn0;
        __m128i expmask = _mm_set1_epi32(0x7f800000);
        __m128i acc = _mm_setzero_si128();
        for (; i + 8 <= n; i += 8) {
            __m128 a = _mm_loadu_ps(src + i), b = _mm_loadu_ps(src + i + 4);
            __m128i ea = _mm_and_si128(_mm_castps_si128(a), expmask);
            __m128i eb = _mm_and_si128(_mm_castps_si128(b), expmask);
            acc = _mm_or_si128(acc, _mm_cmpeq_epi32(ea, expmask));
            acc = _mm_or_si128(acc, _mm_cmpeq_epi32(eb, expmask));
            mn0 = _mm_min_ps(mn0, a); mn1 = _mm_min_ps(mn1, b);
            mx0 = _mm_max_ps(mx0, a); mx1 = _mm_max_ps(mx1, b);
        }
        {
            float t[4]; int k;
            mn0 = _mm_min_ps(mn0, mn1); mx0 = _mm_max_ps(mx0, mx1);
            _mm_storeu_ps(t, mn0); mn = t[0];
            for (k = 1; k < 4; k++) if (t[k] < mn) mn = t[k];
            _mm_storeu_ps(t, mx0); mx = t[0];
            for (k = 1; k < 4; k++) if (t[k] > mx) mx = t[k];
            bad = (uint32_t)_mm_movemask_epi8(acc);
        }
    }
#endif
    for (; i < n; i++) {
        float x = src[i];
        uint32_t f;
        memcpy(&f, &x, 4);
        bad |= ((f & 0x7f800000u) == 0x7f800000u);
        if (x < mn) mn = x;
        if (x > mx) mx = x;
    }
    *pmin = mn; *pmax = mx;
    return bad == 0;
}

/* ---------------- affine quantisation (float64 math) ---------------- */
#define CODEC_AFFINE(NAME, T)                                              \
__attribute__((target_clones("avx2", "default")))                         \
void NAME(const float *src, T *dst, size_t n,                      \
                 double lo, double hi, double scale) {                    \
    const double magic = 4503599627370496.0; /* 2^52 */                    \
    size_t i;                                                              \
    for (i = 0; i < n; i++) {                                              \
        double x = (double)src[i];                                         \
        double v;                                                          \
        x = x < lo ? lo : x;                                               \
        x = x > hi ? hi : x;                                               \
        v = (x - lo) / scale;          /* >= 0, < 2^52 */                  \
        v = (v + magic) - magic;       /* rint, ties to even */            \
        dst[i] = (T)(int32_t)v;                                            \
    }                                                                      \
}
CODEC_AFFINE(codec_affine_u8, uint8_t)
CODEC_AFFINE(codec_affine_u16, uint16_t)

#define CODEC_DEQ(NAME, T)                                                 \
__attribute__((target_clones("avx2", "default")))                         \
void NAME(const T *src, float *dst, size_t n,                      \
                 double mn, double scale) {                                \
    size_t i;                                                              \
    for (i = 0; i < n; i++) dst[i] = (float)((double)src[i] * scale + mn); \
}
CODEC_DEQ(codec_deq_u8, uint8_t)
CODEC_DEQ(codec_deq_u16, uint16_t)
