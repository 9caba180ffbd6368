// The layout facts of arch/arm64/include/uapi/asm/sve_context.h and the size macros of
// uapi/asm/sigcontext.h (Linux v6.4) that fpsimd.c sizes its buffers with. Only numbers carry over:
// the byte layout of one SVE register dump is Z0-Z31, then P0-P15, then FFR, each scaled by vq.

export const __SVE_VQ_BYTES = 16;
export const __SVE_VQ_MIN = 1;
export const __SVE_VQ_MAX = 512;
export const __SVE_VL_MIN = __SVE_VQ_MIN * __SVE_VQ_BYTES;
export const __SVE_VL_MAX = __SVE_VQ_MAX * __SVE_VQ_BYTES;
export const __SVE_NUM_ZREGS = 32;
export const __SVE_NUM_PREGS = 16;

export const __sve_vl_valid = (vl: number): boolean =>
  vl % __SVE_VQ_BYTES === 0 && vl >= __SVE_VL_MIN && vl <= __SVE_VL_MAX;
// Integer division as in C: VLs are unsigned, so truncation is a floor.
export const __sve_vq_from_vl = (vl: number): number => Math.floor(vl / __SVE_VQ_BYTES);
export const __sve_vl_from_vq = (vq: number): number => vq * __SVE_VQ_BYTES;

export const __SVE_ZREG_SIZE = (vq: number): number => vq * __SVE_VQ_BYTES;
export const __SVE_PREG_SIZE = (vq: number): number => vq * (__SVE_VQ_BYTES / 8);
export const __SVE_FFR_SIZE = __SVE_PREG_SIZE;
export const __SVE_ZREGS_OFFSET = 0;
export const __SVE_ZREG_OFFSET = (vq: number, n: number): number =>
  __SVE_ZREGS_OFFSET + __SVE_ZREG_SIZE(vq) * n;
export const __SVE_ZREGS_SIZE = (vq: number): number =>
  __SVE_ZREG_OFFSET(vq, __SVE_NUM_ZREGS) - __SVE_ZREGS_OFFSET;
export const __SVE_PREGS_OFFSET = (vq: number): number => __SVE_ZREGS_OFFSET + __SVE_ZREGS_SIZE(vq);
export const __SVE_PREG_OFFSET = (vq: number, n: number): number =>
  __SVE_PREGS_OFFSET(vq) + __SVE_PREG_SIZE(vq) * n;
export const __SVE_PREGS_SIZE = (vq: number): number =>
  __SVE_PREG_OFFSET(vq, __SVE_NUM_PREGS) - __SVE_PREGS_OFFSET(vq);
export const __SVE_FFR_OFFSET = (vq: number): number => __SVE_PREGS_OFFSET(vq) + __SVE_PREGS_SIZE(vq);

// The sigcontext.h spellings fpsimd.c uses.
export const SVE_VQ_BYTES = __SVE_VQ_BYTES;
export const SVE_VQ_MIN = __SVE_VQ_MIN;
export const SVE_VQ_MAX = __SVE_VQ_MAX;
export const SVE_VL_MIN = __SVE_VL_MIN;
export const SVE_VL_MAX = __SVE_VL_MAX;
export const SVE_NUM_ZREGS = __SVE_NUM_ZREGS;
export const SVE_NUM_PREGS = __SVE_NUM_PREGS;
export const sve_vl_valid = __sve_vl_valid;
export const sve_vq_from_vl = __sve_vq_from_vl;
export const sve_vl_from_vq = __sve_vl_from_vq;

/** Bytes of one register dump (Z, P, FFR) for vq, without the signal frame header. */
export const SVE_SIG_REGS_SIZE = (vq: number): number => __SVE_FFR_OFFSET(vq) + __SVE_FFR_SIZE(vq);

/** Bytes of ZA for a streaming vq: a square of VL-byte rows. */
export const ZA_SIG_REGS_SIZE = (vq: number): number => vq * __SVE_VQ_BYTES * (vq * __SVE_VQ_BYTES);

/** Bytes of ZT0 (SME2). */
export const ZT_SIG_REG_SIZE = 512;
