//go:build amd64 && !noasm

#include "textflag.h"

// Constants, four copies each (one YMM register's worth).
#define CONST4(name, bits) \
	DATA name<>+0(SB)/8, $bits; \
	DATA name<>+8(SB)/8, $bits; \
	DATA name<>+16(SB)/8, $bits; \
	DATA name<>+24(SB)/8, $bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

CONST4(log2e, 0x3ff71547652b82fe)   // 1/ln 2
CONST4(ln2hi, 0x3fe62e42fee00000)   // ln 2, high bits (n*ln2hi exact)
CONST4(ln2lo, 0x3dea39ef35793c76)   // ln 2 - ln2hi
CONST4(magic, 0x43300000000003ff)   // 2^52 + 1023: n + magic has n+1023 in its low bits
CONST4(lo, 0xc086200000000000)      // -708
CONST4(hi, 0x4086280000000000)      // 709
CONST4(one, 0x3ff0000000000000)     // 1/0!, 1/1!
CONST4(c2, 0x3fe0000000000000)      // 1/2!
CONST4(c3, 0x3fc5555555555555)      // 1/3!
CONST4(c4, 0x3fa5555555555555)      // 1/4!
CONST4(c5, 0x3f81111111111111)      // 1/5!
CONST4(c6, 0x3f56c16c16c16c17)      // 1/6!
CONST4(c7, 0x3f2a01a01a01a01a)      // 1/7!
CONST4(c8, 0x3efa01a01a01a01a)      // 1/8!
CONST4(c9, 0x3ec71de3a556c734)      // 1/9!
CONST4(c10, 0x3e927e4fb7789f5c)     // 1/10!
CONST4(c11, 0x3e5ae64567f544e4)     // 1/11!
CONST4(c12, 0x3e21eed8eff8d898)     // 1/12!
CONST4(c13, 0x3de6124613a86d09)     // 1/13!

// func exp4(dst, src *float64, blocks int) int
TEXT ·exp4(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	XORQ DX, DX                // blocks done
	VMOVUPD lo<>(SB), Y14
	VMOVUPD hi<>(SB), Y15
	CMPQ  DX, CX
	JGE   done

loop:
	VMOVUPD (SI), Y0
	VCMPPD  $0x1d, Y14, Y0, Y1 // x >= lo (false for NaN)
	VCMPPD  $0x12, Y15, Y0, Y2 // x <= hi
	VANDPD  Y1, Y2, Y1
	VMOVMSKPD Y1, AX
	CMPQ    AX, $15
	JNE     done               // a lane out of range: stop before this block
	VMULPD  log2e<>(SB), Y0, Y1
	VROUNDPD $0, Y1, Y1        // n, to nearest
	VMOVAPD Y0, Y2
	VFNMADD231PD ln2hi<>(SB), Y1, Y2 // r = x - n ln2hi
	VFNMADD231PD ln2lo<>(SB), Y1, Y2 // r -= n ln2lo
	VMOVUPD c13<>(SB), Y3
	VFMADD213PD c12<>(SB), Y2, Y3
	VFMADD213PD c11<>(SB), Y2, Y3
	VFMADD213PD c10<>(SB), Y2, Y3
	VFMADD213PD c9<>(SB), Y2, Y3
	VFMADD213PD c8<>(SB), Y2, Y3
	VFMADD213PD c7<>(SB), Y2, Y3
	VFMADD213PD c6<>(SB), Y2, Y3
	VFMADD213PD c5<>(SB), Y2, Y3
	VFMADD213PD c4<>(SB), Y2, Y3
	VFMADD213PD c3<>(SB), Y2, Y3
	VFMADD213PD c2<>(SB), Y2, Y3
	VFMADD213PD one<>(SB), Y2, Y3
	VFMADD213PD one<>(SB), Y2, Y3 // e^r
	VADDPD  magic<>(SB), Y1, Y1
	VPSLLQ  $52, Y1, Y1        // 2^n
	VMULPD  Y1, Y3, Y3
	VMOVUPD Y3, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	INCQ    DX
	CMPQ    DX, CX
	JLT     loop

done:
	MOVQ DX, ret+24(FP)
	VZEROUPPER
	RET

// func exp8(dst, src *float64, blocks int) int
// The constants stay in Z16-Z31 and Z8-Z9; the steps are exp4's.
TEXT ·exp8(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	XORQ DX, DX                // blocks done
	VBROADCASTSD lo<>(SB), Z14
	VBROADCASTSD hi<>(SB), Z15
	VBROADCASTSD log2e<>(SB), Z16
	VBROADCASTSD ln2hi<>(SB), Z17
	VBROADCASTSD ln2lo<>(SB), Z18
	VBROADCASTSD magic<>(SB), Z19
	VBROADCASTSD one<>(SB), Z20
	VBROADCASTSD c2<>(SB), Z21
	VBROADCASTSD c3<>(SB), Z22
	VBROADCASTSD c4<>(SB), Z23
	VBROADCASTSD c5<>(SB), Z24
	VBROADCASTSD c6<>(SB), Z25
	VBROADCASTSD c7<>(SB), Z26
	VBROADCASTSD c8<>(SB), Z27
	VBROADCASTSD c9<>(SB), Z28
	VBROADCASTSD c10<>(SB), Z29
	VBROADCASTSD c11<>(SB), Z30
	VBROADCASTSD c12<>(SB), Z31
	VBROADCASTSD c13<>(SB), Z8
	CMPQ  DX, CX
	JGE   done8

loop8:
	VMOVUPD (SI), Z0
	VCMPPD  $0x1d, Z14, Z0, K1     // x >= lo (false for NaN)
	VCMPPD  $0x12, Z15, Z0, K1, K2 // and x <= hi
	KMOVW   K2, AX
	CMPQ    AX, $0xff
	JNE     done8                  // a lane out of range: stop before this block
	VMULPD  Z16, Z0, Z1
	VRNDSCALEPD $0, Z1, Z1         // n, to nearest
	VMOVAPD Z0, Z2
	VFNMADD231PD Z17, Z1, Z2       // r = x - n ln2hi
	VFNMADD231PD Z18, Z1, Z2       // r -= n ln2lo
	VMOVAPD Z8, Z3
	VFMADD213PD Z31, Z2, Z3
	VFMADD213PD Z30, Z2, Z3
	VFMADD213PD Z29, Z2, Z3
	VFMADD213PD Z28, Z2, Z3
	VFMADD213PD Z27, Z2, Z3
	VFMADD213PD Z26, Z2, Z3
	VFMADD213PD Z25, Z2, Z3
	VFMADD213PD Z24, Z2, Z3
	VFMADD213PD Z23, Z2, Z3
	VFMADD213PD Z22, Z2, Z3
	VFMADD213PD Z21, Z2, Z3
	VFMADD213PD Z20, Z2, Z3
	VFMADD213PD Z20, Z2, Z3        // e^r
	VADDPD  Z19, Z1, Z1
	VPSLLQ  $52, Z1, Z1            // 2^n
	VMULPD  Z1, Z3, Z3
	VMOVUPD Z3, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	INCQ    DX
	CMPQ    DX, CX
	JLT     loop8

done8:
	MOVQ DX, ret+24(FP)
	VZEROUPPER
	RET
