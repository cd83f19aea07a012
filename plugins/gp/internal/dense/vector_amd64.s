#include "textflag.h"

// func dotAVX512(x, y *float64, n int) float64
// sum_i x[i] y[i] for n a multiple of 16, in two vector accumulators.
TEXT ·dotAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	SHRQ $4, CX
	JZ dotdone
dotloop:
	VMOVUPD 0(SI), Z2
	VMOVUPD 64(SI), Z3
	VFMADD231PD 0(DI), Z2, Z0
	VFMADD231PD 64(DI), Z3, Z1
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ dotloop
dotdone:
	VADDPD Z1, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// func axpySubAVX512(alpha float64, x, y *float64, n int)
// y[i] -= alpha x[i] for n a multiple of 16.
TEXT ·axpySubAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSD alpha+0(FP), Z4
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $4, CX
	JZ axpydone
axpyloop:
	VMOVUPD 0(SI), Z2
	VMOVUPD 64(SI), Z3
	VMOVUPD 0(DI), Z0
	VMOVUPD 64(DI), Z1
	VFNMADD231PD Z2, Z4, Z0
	VFNMADD231PD Z3, Z4, Z1
	VMOVUPD Z0, 0(DI)
	VMOVUPD Z1, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ CX
	JNZ axpyloop
axpydone:
	VZEROUPPER
	RET
