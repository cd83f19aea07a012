//go:build amd64 && !noasm

#include "textflag.h"

// treeTable layout (checked by TestTreeTableLayout): depth at 0, first
// at 8, feat [16]int64 at 16, bound [16]float64 at 144, value
// [16]float64 at 272.

// func walk8(x *float64, stride8, blocks int, rowOff *[8]int64, t *treeTable, acc *float64)
TEXT ·walk8(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ stride8+8(FP), R8
	MOVQ blocks+16(FP), CX
	MOVQ rowOff+24(FP), AX
	MOVQ t+32(FP), BX
	MOVQ acc+40(FP), DI
	MOVQ 0(BX), R9             // depth
	VMOVDQU64 (AX), Z10        // row offsets
	MOVQ $1, AX
	VPBROADCASTQ AX, Z11       // 1
	MOVQ $2, AX
	VPBROADCASTQ AX, Z12       // 2
	MOVQ 8(BX), AX
	VPBROADCASTQ AX, Z13       // first leaf slot, 2^depth - 1
	VMOVDQU64 16(BX), Z14      // feat[0:8]
	VMOVUPD 144(BX), Z15       // bound[0:8]
	VMOVUPD 272(BX), Z16       // value[0:8]
	TESTQ CX, CX
	JEQ   done

block:
	VPXORQ Z0, Z0, Z0          // slot j of each row
	MOVQ   R9, DX

level:
	VMOVDQA64  Z0, Z1
	VPERMI2Q   80(BX), Z14, Z1 // feat[j]
	VPADDQ     Z10, Z1, Z1     // element offsets of the inputs
	KXNORW     K1, K1, K1
	VPXORQ     Z2, Z2, Z2
	VGATHERQPD (SI)(Z1*8), K1, Z2
	VMOVDQA64  Z0, Z3
	VPERMI2PD  208(BX), Z15, Z3 // bound[j]
	VCMPPD     $0x12, Z3, Z2, K2 // x <= bound: left (false for NaN)
	VPADDQ     Z0, Z0, Z0
	VPADDQ     Z12, Z0, Z0     // 2j+2 (right child)
	VPSUBQ     Z11, Z0, K2, Z0 // 2j+1 where left
	DECQ       DX
	JNZ        level

	VPSUBQ    Z13, Z0, Z0      // leaf slot
	VPERMI2PD 336(BX), Z16, Z0 // value[leaf]
	VADDPD    (DI), Z0, Z0
	VMOVUPD   Z0, (DI)
	ADDQ      R8, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       block

done:
	VZEROUPPER
	RET
