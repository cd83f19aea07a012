//go:build amd64 && !noasm

#include "textflag.h"

// func kernel6x16acc(k int, ap, bp, c *float32, ldc, astride, rows, set int)
// C[i][j] += sum_p ap[p*astride/4+i] * bp[p*16+j], i < rows <= 6, j < 16,
// where C rows are ldc floats apart; with set = 1, C[i][j] = the sum (the
// old C, which may be garbage, is masked to zero before the add). Y0..Y11
// accumulate the tile (two 8-wide halves per row). AVX2 + FMA.
TEXT ·kernel6x16acc(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ bp+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ astride+40(FP), R10
	MOVQ rows+48(FP), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JE   store6

loop6:
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS 4(SI), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS 8(SI), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS 12(SI), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	VBROADCASTSS 16(SI), Y14
	VFMADD231PS  Y12, Y14, Y8
	VFMADD231PS  Y13, Y14, Y9
	VBROADCASTSS 20(SI), Y15
	VFMADD231PS  Y12, Y15, Y10
	VFMADD231PS  Y13, Y15, Y11
	ADDQ         R10, SI
	ADDQ         $64, DI
	DECQ         CX
	JNZ          loop6

store6:
	// Y12 = all ones to add C, or zeros to overwrite it (set = 1).
	MOVQ         set+56(FP), AX
	NEGQ         AX
	NOTQ         AX
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12
	MOVQ         DX, R9
	VANDPS  (R9), Y12, Y13
	VADDPS  Y13, Y0, Y0
	VANDPS  32(R9), Y12, Y13
	VADDPS  Y13, Y1, Y1
	VMOVUPS Y0, (R9)
	VMOVUPS Y1, 32(R9)
	DECQ    BX
	JLE     done6
	ADDQ    R8, R9
	VANDPS  (R9), Y12, Y13
	VADDPS  Y13, Y2, Y2
	VANDPS  32(R9), Y12, Y13
	VADDPS  Y13, Y3, Y3
	VMOVUPS Y2, (R9)
	VMOVUPS Y3, 32(R9)
	DECQ    BX
	JLE     done6
	ADDQ    R8, R9
	VANDPS  (R9), Y12, Y13
	VADDPS  Y13, Y4, Y4
	VANDPS  32(R9), Y12, Y13
	VADDPS  Y13, Y5, Y5
	VMOVUPS Y4, (R9)
	VMOVUPS Y5, 32(R9)
	DECQ    BX
	JLE     done6
	ADDQ    R8, R9
	VANDPS  (R9), Y12, Y13
	VADDPS  Y13, Y6, Y6
	VANDPS  32(R9), Y12, Y13
	VADDPS  Y13, Y7, Y7
	VMOVUPS Y6, (R9)
	VMOVUPS Y7, 32(R9)
	DECQ    BX
	JLE     done6
	ADDQ    R8, R9
	VANDPS  (R9), Y12, Y13
	VADDPS  Y13, Y8, Y8
	VANDPS  32(R9), Y12, Y13
	VADDPS  Y13, Y9, Y9
	VMOVUPS Y8, (R9)
	VMOVUPS Y9, 32(R9)
	DECQ    BX
	JLE     done6
	ADDQ    R8, R9
	VANDPS  (R9), Y12, Y13
	VADDPS  Y13, Y10, Y10
	VANDPS  32(R9), Y12, Y13
	VADDPS  Y13, Y11, Y11
	VMOVUPS Y10, (R9)
	VMOVUPS Y11, 32(R9)

done6:
	VZEROUPPER
	RET

// func kernel12x16acc(k int, ap, bp, c *float32, ldc, rows, set int)
// C[i][j] += sum_p ap[p*12+i] * bp[p*16+j], i < rows <= 12, j < 16, or
// with set = 1, C[i][j] = the sum (old C masked to zero). Z0..Z11 hold one
// 16-wide row each; A values are broadcast from memory. AVX-512F.
TEXT ·kernel12x16acc(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ bp+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ rows+40(FP), BX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	TESTQ CX, CX
	JE   store12

loop12:
	VMOVUPS          (DI), Z12
	VFMADD231PS.BCST (SI), Z12, Z0
	VFMADD231PS.BCST 4(SI), Z12, Z1
	VFMADD231PS.BCST 8(SI), Z12, Z2
	VFMADD231PS.BCST 12(SI), Z12, Z3
	VFMADD231PS.BCST 16(SI), Z12, Z4
	VFMADD231PS.BCST 20(SI), Z12, Z5
	VFMADD231PS.BCST 24(SI), Z12, Z6
	VFMADD231PS.BCST 28(SI), Z12, Z7
	VFMADD231PS.BCST 32(SI), Z12, Z8
	VFMADD231PS.BCST 36(SI), Z12, Z9
	VFMADD231PS.BCST 40(SI), Z12, Z10
	VFMADD231PS.BCST 44(SI), Z12, Z11
	ADDQ             $48, SI
	ADDQ             $64, DI
	DECQ             CX
	JNZ              loop12

store12:
	// Z13 = all ones to add C, or zeros to overwrite it (set = 1).
	MOVQ         set+48(FP), AX
	NEGQ         AX
	NOTQ         AX
	VPBROADCASTD AX, Z13
	MOVQ         DX, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z0, Z0
	VMOVUPS Z0, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z1, Z1
	VMOVUPS Z1, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z2, Z2
	VMOVUPS Z2, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z3, Z3
	VMOVUPS Z3, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z4, Z4
	VMOVUPS Z4, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z5, Z5
	VMOVUPS Z5, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z6, Z6
	VMOVUPS Z6, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z7, Z7
	VMOVUPS Z7, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z8, Z8
	VMOVUPS Z8, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z9, Z9
	VMOVUPS Z9, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z10, Z10
	VMOVUPS Z10, (R9)
	DECQ    BX
	JLE     done12
	ADDQ    R8, R9
	VPANDD  (R9), Z13, Z14
	VADDPS  Z14, Z11, Z11
	VMOVUPS Z11, (R9)

done12:
	VZEROUPPER
	RET

// func packA12AVX(panel, a *float32, lda, k4 int)
// Packs 12 rows of A (row stride lda floats) by 4*k4 columns into panel,
// column p holding the 12 row values at panel[12p:12p+12]: 4x4 blocks
// transposed in registers, three row groups per 4 columns.
TEXT ·packA12AVX(SB), NOSPLIT, $0-32
	MOVQ  panel+0(FP), DI
	MOVQ  a+8(FP), SI
	MOVQ  lda+16(FP), R8
	SHLQ  $2, R8
	MOVQ  k4+24(FP), CX
	TESTQ CX, CX
	JE    pdone
	LEAQ  (R8)(R8*2), R9
	LEAQ  (SI)(R8*4), R10
	LEAQ  (R10)(R8*4), R11

ploop:
	VMOVUPS   (SI), X0
	VMOVUPS   (SI)(R8*1), X1
	VMOVUPS   (SI)(R8*2), X2
	VMOVUPS   (SI)(R9*1), X3
	VUNPCKLPS X1, X0, X4
	VUNPCKHPS X1, X0, X5
	VUNPCKLPS X3, X2, X6
	VUNPCKHPS X3, X2, X7
	VMOVLHPS  X6, X4, X0
	VMOVHLPS  X4, X6, X1
	VMOVLHPS  X7, X5, X2
	VMOVHLPS  X5, X7, X3
	VMOVUPS   X0, (DI)
	VMOVUPS   X1, 48(DI)
	VMOVUPS   X2, 96(DI)
	VMOVUPS   X3, 144(DI)
	VMOVUPS   (R10), X0
	VMOVUPS   (R10)(R8*1), X1
	VMOVUPS   (R10)(R8*2), X2
	VMOVUPS   (R10)(R9*1), X3
	VUNPCKLPS X1, X0, X4
	VUNPCKHPS X1, X0, X5
	VUNPCKLPS X3, X2, X6
	VUNPCKHPS X3, X2, X7
	VMOVLHPS  X6, X4, X0
	VMOVHLPS  X4, X6, X1
	VMOVLHPS  X7, X5, X2
	VMOVHLPS  X5, X7, X3
	VMOVUPS   X0, 16(DI)
	VMOVUPS   X1, 64(DI)
	VMOVUPS   X2, 112(DI)
	VMOVUPS   X3, 160(DI)
	VMOVUPS   (R11), X0
	VMOVUPS   (R11)(R8*1), X1
	VMOVUPS   (R11)(R8*2), X2
	VMOVUPS   (R11)(R9*1), X3
	VUNPCKLPS X1, X0, X4
	VUNPCKHPS X1, X0, X5
	VUNPCKLPS X3, X2, X6
	VUNPCKHPS X3, X2, X7
	VMOVLHPS  X6, X4, X0
	VMOVHLPS  X4, X6, X1
	VMOVLHPS  X7, X5, X2
	VMOVHLPS  X5, X7, X3
	VMOVUPS   X0, 32(DI)
	VMOVUPS   X1, 80(DI)
	VMOVUPS   X2, 128(DI)
	VMOVUPS   X3, 176(DI)
	ADDQ      $16, SI
	ADDQ      $16, R10
	ADDQ      $16, R11
	ADDQ      $192, DI
	DECQ      CX
	JNZ       ploop

pdone:
	RET
