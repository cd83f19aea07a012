//go:build amd64 && !noasm

#include "textflag.h"

DATA negInf<>+0(SB)/8, $0xfff0000000000000
GLOBL negInf<>(SB), RODATA|NOPTR, $8
DATA unit<>+0(SB)/8, $0x3ff0000000000000
GLOBL unit<>(SB), RODATA|NOPTR, $8

// func maxSubRows(dst, src *float64, rows, k int, tail uint8)
// Per row of src: Z0 = lane-wise max of the row's vectors (the tail loaded
// over -Inf), reduced to one value and broadcast, then subtracted from the
// row, written to the row of dst.
TEXT ·maxSubRows(SB), NOSPLIT, $0-33
	MOVQ    dst+0(FP), R10
	MOVQ    src+8(FP), DI
	MOVQ    rows+16(FP), CX
	MOVQ    k+24(FP), R8
	MOVBQZX tail+32(FP), AX
	KMOVW   AX, K1
	MOVQ    R8, R9
	SHLQ    $3, R9                 // row bytes
	SHRQ    $3, R8                 // whole vectors per row
	VBROADCASTSD negInf<>(SB), Z31

mrow:
	TESTQ CX, CX
	JEQ   mdone
	MOVQ  DI, SI
	MOVQ  R8, BX
	VMOVAPD Z31, Z0

mfull:
	TESTQ BX, BX
	JEQ   mtail
	VMAXPD (SI), Z0, Z0
	ADDQ  $64, SI
	DECQ  BX
	JMP   mfull

mtail:
	TESTQ AX, AX
	JEQ   mreduce
	VMOVAPD Z31, Z1
	VMOVUPD (SI), K1, Z1
	VMAXPD Z1, Z0, Z0

mreduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VMAXPD        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VMAXPD        X1, X0, X0
	VPERMILPD     $1, X0, X1
	VMAXSD        X1, X0, X0
	VBROADCASTSD  X0, Z0
	MOVQ DI, SI
	MOVQ R10, R11
	MOVQ R8, BX

msub:
	TESTQ BX, BX
	JEQ   msubtail
	VMOVUPD (SI), Z1
	VSUBPD  Z0, Z1, Z1
	VMOVUPD Z1, (R11)
	ADDQ  $64, SI
	ADDQ  $64, R11
	DECQ  BX
	JMP   msub

msubtail:
	TESTQ AX, AX
	JEQ   mnext
	VMOVUPD (SI), K1, Z1
	VSUBPD  Z0, Z1, Z1
	VMOVUPD Z1, K1, (R11)

mnext:
	ADDQ R9, DI
	ADDQ R9, R10
	DECQ CX
	JMP  mrow

mdone:
	VZEROUPPER
	RET

// func scaleRows(dst, src *float64, rows, k int, tail uint8)
// Per row of src: Z0 = lane-wise sum of the row's vectors (the tail loaded
// over zeros), reduced, 1/sum broadcast and multiplied by the row, written
// to the row of dst.
TEXT ·scaleRows(SB), NOSPLIT, $0-33
	MOVQ    dst+0(FP), R10
	MOVQ    src+8(FP), DI
	MOVQ    rows+16(FP), CX
	MOVQ    k+24(FP), R8
	MOVBQZX tail+32(FP), AX
	KMOVW   AX, K1
	MOVQ    R8, R9
	SHLQ    $3, R9
	SHRQ    $3, R8
	VMOVSD  unit<>(SB), X30

srow:
	TESTQ CX, CX
	JEQ   sdone
	MOVQ  DI, SI
	MOVQ  R8, BX
	VPXORQ Z0, Z0, Z0

sfull:
	TESTQ BX, BX
	JEQ   stail
	VADDPD (SI), Z0, Z0
	ADDQ  $64, SI
	DECQ  BX
	JMP   sfull

stail:
	TESTQ AX, AX
	JEQ   sreduce
	VPXORQ  Z1, Z1, Z1
	VMOVUPD (SI), K1, Z1
	VADDPD  Z1, Z0, Z0

sreduce:
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPD        X1, X0, X0
	VPERMILPD     $1, X0, X1
	VADDSD        X1, X0, X0
	VDIVSD        X0, X30, X0      // 1/sum
	VBROADCASTSD  X0, Z0
	MOVQ DI, SI
	MOVQ R10, R11
	MOVQ R8, BX

smul:
	TESTQ BX, BX
	JEQ   smultail
	VMULPD  (SI), Z0, Z1
	VMOVUPD Z1, (R11)
	ADDQ  $64, SI
	ADDQ  $64, R11
	DECQ  BX
	JMP   smul

smultail:
	TESTQ AX, AX
	JEQ   snext
	VMOVUPD (SI), K1, Z1
	VMULPD  Z0, Z1, Z1
	VMOVUPD Z1, K1, (R11)

snext:
	ADDQ R9, DI
	ADDQ R9, R10
	DECQ CX
	JMP  srow

sdone:
	VZEROUPPER
	RET
