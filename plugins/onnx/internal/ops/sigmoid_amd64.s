//go:build amd64 && !noasm

#include "textflag.h"

// Sigmoid and Tanh of 4 float32 values per step, in float64 lanes, with
// the operations of sigmoidSlice and tanhSlice (sigmoid.go) in the same
// order: e^y for y = -|x| (sigmoid) or -2|x| (tanh), clamped at -700, as
// s (1 + q) with k = trunc(y 8/ln2 - 0.5), r = y - k ln2/8, q the
// degree-6 Taylor polynomial of e^r - 1 and s = 2^(k>>3) 2^((k&7)/8)
// (from the table). NaN inputs give themselves back.
//
// c points at 14 constants, each repeated in 4 float64 lanes (32 bytes):
// 8/ln2, ln2/8, 0.5, 1, 1/2, 1/6, 1/24, 1/120, 1/720, -700, 2, -2, the
// abs mask and the sign mask; ic at 1023 and 7 in 4 int32 lanes each;
// tab at the 8 values 2^(j/8).

#define EXPNEG(Y1) \
	VMAXPD     288(R12), Y1, Y1 \
	VMULPD     0(R12), Y1, Y2 \
	VSUBPD     64(R12), Y2, Y2 \
	VCVTTPD2DQY Y2, X3 \
	VCVTDQ2PD  X3, Y4 \
	VMULPD     32(R12), Y4, Y4 \
	VSUBPD     Y4, Y1, Y5 \
	VMULPD     256(R12), Y5, Y6 \
	VADDPD     224(R12), Y6, Y6 \
	VMULPD     Y5, Y6, Y6 \
	VADDPD     192(R12), Y6, Y6 \
	VMULPD     Y5, Y6, Y6 \
	VADDPD     160(R12), Y6, Y6 \
	VMULPD     Y5, Y6, Y6 \
	VADDPD     128(R12), Y6, Y6 \
	VMULPD     Y5, Y6, Y6 \
	VADDPD     96(R12), Y6, Y6 \
	VMULPD     Y5, Y6, Y6 \
	VPSRAD     $3, X3, X7 \
	VPADDD     0(R13), X7, X7 \
	VPMOVSXDQ  X7, Y7 \
	VPSLLQ     $52, Y7, Y7 \
	VPAND      16(R13), X3, X8 \
	VPCMPEQD   Y9, Y9, Y9 \
	VGATHERDPD Y9, (R11)(X8*8), Y10 \
	VMULPD     Y10, Y7, Y7

// func sigmoidAVX2(dst, src *float32, n int, c *[14][4]float64, ic *[2][4]int32, tab *[8]float64)
// dst[i] = sigmoid(src[i]) for i < n (n a multiple of 4): with t = e^-|x|,
// (x < 0 ? t : 1) / (1 + t).
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-48
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  n+16(FP), CX
	MOVQ  c+24(FP), R12
	MOVQ  ic+32(FP), R13
	MOVQ  tab+40(FP), R11
	SHRQ  $2, CX
	JE    sdone

sloop:
	VMOVUPS   (SI), X14
	VCVTPS2PD X14, Y0
	VANDPD    384(R12), Y0, Y1
	VORPD     416(R12), Y1, Y1
	EXPNEG(Y1)
	VADDPD    96(R12), Y6, Y11
	VMULPD    Y11, Y7, Y11
	VADDPD    96(R12), Y11, Y12
	VMOVUPD   96(R12), Y13
	VDIVPD    Y12, Y13, Y12
	VBLENDVPD Y0, Y11, Y13, Y13
	VMULPD    Y12, Y13, Y13
	VCVTPD2PSY Y13, X13
	VCMPPS    $3, X14, X14, X15
	VBLENDVPS X15, X14, X13, X13
	VMOVUPS   X13, (DI)
	ADDQ      $16, SI
	ADDQ      $16, DI
	DECQ      CX
	JNZ       sloop
	VZEROUPPER

sdone:
	RET

// func tanhAVX2(dst, src *float32, n int, c *[14][4]float64, ic *[2][4]int32, tab *[8]float64)
// dst[i] = tanh(src[i]) for i < n (n a multiple of 4): with
// m = e^(-2|x|) - 1 = s q + (s - 1), copysign(m / (2 + m), x).
TEXT ·tanhAVX2(SB), NOSPLIT, $0-48
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  n+16(FP), CX
	MOVQ  c+24(FP), R12
	MOVQ  ic+32(FP), R13
	MOVQ  tab+40(FP), R11
	SHRQ  $2, CX
	JE    tdone

tloop:
	VMOVUPS   (SI), X14
	VCVTPS2PD X14, Y0
	VANDPD    384(R12), Y0, Y1
	VMULPD    352(R12), Y1, Y1
	EXPNEG(Y1)
	VMULPD    Y6, Y7, Y11
	VSUBPD    96(R12), Y7, Y12
	VADDPD    Y12, Y11, Y11
	VADDPD    320(R12), Y11, Y12
	VDIVPD    Y12, Y11, Y11
	VANDPD    384(R12), Y11, Y11
	VANDPD    416(R12), Y0, Y12
	VORPD     Y12, Y11, Y11
	VCVTPD2PSY Y11, X13
	VCMPPS    $3, X14, X14, X15
	VBLENDVPS X15, X14, X13, X13
	VMOVUPS   X13, (DI)
	ADDQ      $16, SI
	ADDQ      $16, DI
	DECQ      CX
	JNZ       tloop
	VZEROUPPER

tdone:
	RET

// func expNegAVX2(dst, src *float64, n int, c *[14][4]float64, ic *[2][4]int32, tab *[8]float64)
// dst[i] = e^src[i] = s (1 + q) for src[i] <= 0 (clamped at -700; NaN
// gives itself back), i < n (n a multiple of 4).
TEXT ·expNegAVX2(SB), NOSPLIT, $0-48
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  n+16(FP), CX
	MOVQ  c+24(FP), R12
	MOVQ  ic+32(FP), R13
	MOVQ  tab+40(FP), R11
	SHRQ  $2, CX
	JE    edone

eloop:
	VMOVUPD   (SI), Y0
	VMOVUPD   Y0, Y1
	EXPNEG(Y1)
	VADDPD    96(R12), Y6, Y11
	VMULPD    Y11, Y7, Y11
	VCMPPD    $3, Y0, Y0, Y15
	VBLENDVPD Y15, Y0, Y11, Y11
	VMOVUPD   Y11, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       eloop
	VZEROUPPER

edone:
	RET
