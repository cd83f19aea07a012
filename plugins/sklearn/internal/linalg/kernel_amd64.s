//go:build amd64 && !noasm

#include "textflag.h"

// func kernel4x8(k int, a0 *float64, lda int, b, bias, c *float64, ldc int)
// Y0..Y7 hold the 4x8 tile (two registers per row); each depth step loads
// one panel row (8 values) and broadcasts one value of each of the 4 rows.
// The bias is added after the sum.
TEXT ·kernel4x8(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ b+24(FP), DI
	SHLQ $3, DX
	LEAQ (SI)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	TESTQ CX, CX
	JEQ   store

loop:
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD (R9), Y11
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD (R10), Y12
	VBROADCASTSD (R11), Y13
	VFMADD231PD  Y8, Y12, Y4
	VFMADD231PD  Y9, Y12, Y5
	VFMADD231PD  Y8, Y13, Y6
	VFMADD231PD  Y9, Y13, Y7
	ADDQ         $8, SI
	ADDQ         $8, R9
	ADDQ         $8, R10
	ADDQ         $8, R11
	ADDQ         $64, DI
	DECQ         CX
	JNZ          loop

store:
	MOVQ    bias+32(FP), AX
	MOVQ    c+40(FP), R8
	MOVQ    ldc+48(FP), DX
	SHLQ    $3, DX
	VMOVUPD (AX), Y8
	VMOVUPD 32(AX), Y9
	VADDPD  Y8, Y0, Y0
	VADDPD  Y9, Y1, Y1
	VADDPD  Y8, Y2, Y2
	VADDPD  Y9, Y3, Y3
	VADDPD  Y8, Y4, Y4
	VADDPD  Y9, Y5, Y5
	VADDPD  Y8, Y6, Y6
	VADDPD  Y9, Y7, Y7
	VMOVUPD Y0, (R8)
	VMOVUPD Y1, 32(R8)
	ADDQ    DX, R8
	VMOVUPD Y2, (R8)
	VMOVUPD Y3, 32(R8)
	ADDQ    DX, R8
	VMOVUPD Y4, (R8)
	VMOVUPD Y5, 32(R8)
	ADDQ    DX, R8
	VMOVUPD Y6, (R8)
	VMOVUPD Y7, 32(R8)
	VZEROUPPER
	RET

// func kernel8x8(k int, a0 *float64, lda int, b, bias, c *float64, ldc int, mask uint8)
// Z0..Z7 hold the 8x8 tile (one register per row); each depth step loads
// one panel row and multiplies it by one broadcast value of each row. The
// bias is added after the sum; stores are masked to the valid columns.
TEXT ·kernel8x8(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ b+24(FP), DI
	SHLQ $3, DX
	LEAQ (SI)(DX*1), BX
	LEAQ (BX)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	LEAQ (R13)(DX*1), AX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	TESTQ CX, CX
	JEQ   store8

loop8:
	VMOVUPD          (DI), Z8
	VFMADD231PD.BCST (SI), Z8, Z0
	VFMADD231PD.BCST (BX), Z8, Z1
	VFMADD231PD.BCST (R9), Z8, Z2
	VFMADD231PD.BCST (R10), Z8, Z3
	VFMADD231PD.BCST (R11), Z8, Z4
	VFMADD231PD.BCST (R12), Z8, Z5
	VFMADD231PD.BCST (R13), Z8, Z6
	VFMADD231PD.BCST (AX), Z8, Z7
	ADDQ             $8, SI
	ADDQ             $8, BX
	ADDQ             $8, R9
	ADDQ             $8, R10
	ADDQ             $8, R11
	ADDQ             $8, R12
	ADDQ             $8, R13
	ADDQ             $8, AX
	ADDQ             $64, DI
	DECQ             CX
	JNZ              loop8

store8:
	MOVQ     bias+32(FP), AX
	MOVQ     c+40(FP), R8
	MOVQ     ldc+48(FP), DX
	SHLQ     $3, DX
	MOVBLZX  mask+56(FP), CX
	KMOVW    CX, K1
	VMOVUPD  (AX), Z8
	VADDPD   Z8, Z0, Z0
	VADDPD   Z8, Z1, Z1
	VADDPD   Z8, Z2, Z2
	VADDPD   Z8, Z3, Z3
	VADDPD   Z8, Z4, Z4
	VADDPD   Z8, Z5, Z5
	VADDPD   Z8, Z6, Z6
	VADDPD   Z8, Z7, Z7
	VMOVUPD  Z0, K1, (R8)
	ADDQ     DX, R8
	VMOVUPD  Z1, K1, (R8)
	ADDQ     DX, R8
	VMOVUPD  Z2, K1, (R8)
	ADDQ     DX, R8
	VMOVUPD  Z3, K1, (R8)
	ADDQ     DX, R8
	VMOVUPD  Z4, K1, (R8)
	ADDQ     DX, R8
	VMOVUPD  Z5, K1, (R8)
	ADDQ     DX, R8
	VMOVUPD  Z6, K1, (R8)
	ADDQ     DX, R8
	VMOVUPD  Z7, K1, (R8)
	VZEROUPPER
	RET

// func dot8(k8 int, a0 *float64, lda int, w *float64, out *[8]float64)
// Z0..Z7 accumulate eight lanes of row i's products with w; the reduction
// adds neighbouring lanes, then 128-bit halves twice, leaving the eight
// row sums in order in one register.
TEXT ·dot8(SB), NOSPLIT, $0-40
	MOVQ k8+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ lda+16(FP), DX
	MOVQ w+24(FP), DI
	MOVQ out+32(FP), R8
	SHLQ $3, DX
	LEAQ (SI)(DX*1), BX
	LEAQ (BX)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	LEAQ (R13)(DX*1), AX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	TESTQ CX, CX
	JEQ   reduce

dotloop:
	VMOVUPD     (DI), Z8
	VFMADD231PD (SI), Z8, Z0
	VFMADD231PD (BX), Z8, Z1
	VFMADD231PD (R9), Z8, Z2
	VFMADD231PD (R10), Z8, Z3
	VFMADD231PD (R11), Z8, Z4
	VFMADD231PD (R12), Z8, Z5
	VFMADD231PD (R13), Z8, Z6
	VFMADD231PD (AX), Z8, Z7
	ADDQ        $64, SI
	ADDQ        $64, BX
	ADDQ        $64, R9
	ADDQ        $64, R10
	ADDQ        $64, R11
	ADDQ        $64, R12
	ADDQ        $64, R13
	ADDQ        $64, AX
	ADDQ        $64, DI
	DECQ        CX
	JNZ         dotloop

reduce:
	// Neighbouring lanes: S01 = [z0 z1 | z0 z1 | ...] pair sums per 128 bits.
	VUNPCKLPD Z1, Z0, Z8
	VUNPCKHPD Z1, Z0, Z9
	VADDPD    Z9, Z8, Z8
	VUNPCKLPD Z3, Z2, Z9
	VUNPCKHPD Z3, Z2, Z10
	VADDPD    Z10, Z9, Z9
	VUNPCKLPD Z5, Z4, Z10
	VUNPCKHPD Z5, Z4, Z11
	VADDPD    Z11, Z10, Z10
	VUNPCKLPD Z7, Z6, Z11
	VUNPCKHPD Z7, Z6, Z12
	VADDPD    Z12, Z11, Z11
	// 128-bit halves: [01 (lanes 0+1) | 01 (2+3) | 23 (0+1) | 23 (2+3)].
	VSHUFF64X2 $0x88, Z9, Z8, Z12
	VSHUFF64X2 $0xdd, Z9, Z8, Z13
	VADDPD     Z13, Z12, Z12
	VSHUFF64X2 $0x88, Z11, Z10, Z13
	VSHUFF64X2 $0xdd, Z11, Z10, Z14
	VADDPD     Z14, Z13, Z13
	// Again: [01 | 23 | 45 | 67], the eight sums in order.
	VSHUFF64X2 $0x88, Z13, Z12, Z14
	VSHUFF64X2 $0xdd, Z13, Z12, Z15
	VADDPD     Z15, Z14, Z14
	VMOVUPD    Z14, (R8)
	VZEROUPPER
	RET
