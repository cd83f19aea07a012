//go:build amd64 && !noasm

#include "textflag.h"

// func addAVX2(dst, src *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JE   adddone

addloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     addloop
	VZEROUPPER

adddone:
	RET

// func reluMaskAVX2(dx, gr, x *float32, n int)
TEXT ·reluMaskAVX2(SB), NOSPLIT, $0-32
	MOVQ   dx+0(FP), DI
	MOVQ   gr+8(FP), SI
	MOVQ   x+16(FP), DX
	MOVQ   n+24(FP), CX
	SHRQ   $3, CX
	JE     maskdone
	VPXOR  Y2, Y2, Y2

maskloop:
	VMOVDQU (DX), Y0
	VPCMPGTD Y2, Y0, Y0
	VPAND   (SI), Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     maskloop
	VZEROUPPER

maskdone:
	RET

// func addScalarAVX2(dst, src *float32, b float32, n int)
// dst[i] = src[i] + b for i < n (n a multiple of 8).
TEXT ·addScalarAVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	VBROADCASTSS b+16(FP), Y1
	MOVQ         n+24(FP), CX
	SHRQ         $3, CX
	JE           scdone

scloop:
	VADDPS  (SI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     scloop
	VZEROUPPER

scdone:
	RET
