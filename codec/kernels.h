/* Declarations of the weight codec's C kernels (kernels.c). Symbols are hidden: only the
Python extension that links them calls them. */
#ifndef TFJS_EXPORT_CODEC_KERNELS_H
#define TFJS_EXPORT_CODEC_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define CODEC_API __attribute__((visibility("hidden")))

/* dst[i] = IEEE binary16 bits of src[i], round-to-nearest-even, numpy's astype(float16) bits
   (NaN payloads included); F16C when allow_hw and the CPU has it. */
CODEC_API void codec_f32_to_f16(const float *src, uint16_t *dst, size_t n, int allow_hw);
/* 1 when codec_f32_to_f16 can use the CPU's F16C instructions. */
CODEC_API int codec_have_f16c(void);
/* *pmin, *pmax of a non-empty buffer; returns 1 when every value is finite (else they are
   meaningless). */
CODEC_API int codec_minmax_f32(const float *src, size_t n, float *pmin, float *pmax);
/* dst[i] = rint((clip((double)src[i], lo, hi) - lo) / scale), ties to even. */
CODEC_API void codec_affine_u8(const float *src, uint8_t *dst, size_t n, double lo, double hi, double scale);
CODEC_API void codec_affine_u16(const float *src, uint16_t *dst, size_t n, double lo, double hi, double scale);
/* dst[i] = (float)((double)src[i] * scale + mn), as TF.js dequantises. */
CODEC_API void codec_deq_u8(const uint8_t *src, float *dst, size_t n, double mn, double scale);
CODEC_API void codec_deq_u16(const uint16_t *src, float *dst, size_t n, double mn, double scale);

#endif
