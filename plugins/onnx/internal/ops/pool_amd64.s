//go:build amd64 && !noasm

#include "textflag.h"

// The 2x2, stride 2 max pool over groups of 4 windows: one 8-float load
// from each of the two input rows holds 4 windows, window j in lanes 2j
// (its left column) and 2j+1 (its right column).

// func maxPool2x2AVX2(dst, x *float32, iw, oh, ow, groups int)
// For each output row y < oh and window j < 4*groups:
// dst[y*ow+j] = max of x[2y*iw+2j], x[2y*iw+2j+1] and the same two of row
// 2y+1, with Go's max semantics: +0 over -0, and NaN (all ones) when any
// element is NaN. VMAXPS returns its second source on ties and NaNs, so
// both orders are ANDed (+0 wins) and NaNs are ORed in afterwards.
TEXT ·maxPool2x2AVX2(SB), NOSPLIT, $0-48
	MOVQ  dst+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  iw+16(FP), R8
	SHLQ  $2, R8
	MOVQ  oh+24(FP), R9
	MOVQ  ow+32(FP), R10
	SHLQ  $2, R10
	MOVQ  groups+40(FP), R11
	TESTQ R9, R9
	JE    fdone
	TESTQ R11, R11
	JE    fdone

frows:
	MOVQ SI, AX
	MOVQ DI, DX
	MOVQ R11, CX

fgroup:
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R8*1), Y1
	VMAXPS  Y1, Y0, Y2
	VMAXPS  Y0, Y1, Y3
	VANDPS  Y3, Y2, Y2
	VCMPPS  $3, Y0, Y0, Y4
	VCMPPS  $3, Y1, Y1, Y5
	VORPS   Y5, Y4, Y4
	VSHUFPS $0xB1, Y2, Y2, Y3
	VMAXPS  Y3, Y2, Y5
	VMAXPS  Y2, Y3, Y6
	VANDPS  Y6, Y5, Y5
	VSHUFPS $0xB1, Y4, Y4, Y6
	VORPS   Y6, Y4, Y4
	VORPS   Y4, Y5, Y5
	VSHUFPS $0x88, Y5, Y5, Y5
	VPERMPD $0x08, Y5, Y5
	VMOVUPS X5, (DX)
	ADDQ    $32, AX
	ADDQ    $16, DX
	DECQ    CX
	JNZ     fgroup
	LEAQ    (SI)(R8*2), SI
	ADDQ    R10, DI
	DECQ    R9
	JNZ     frows

fdone:
	VZEROUPPER
	RET

// func maxPool2x2BackAVX2(dx, x, gy *float32, iw, oh, ow, groups int)
// For each output row y < oh and window j < 4*groups, writes the four
// elements of dx under the window: gy[y*ow+j] at its first maximal
// element in row-major order, +0 elsewhere. The first maximum is found
// as the scalar rule does (best = a; later elements take over only when
// strictly greater, which a NaN never is), so ties, signed zeros,
// infinities and NaNs follow maxWindowNaN.
TEXT ·maxPool2x2BackAVX2(SB), NOSPLIT, $0-56
	MOVQ  dx+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  gy+16(FP), R12
	MOVQ  iw+24(FP), R8
	SHLQ  $2, R8
	MOVQ  oh+32(FP), R9
	MOVQ  ow+40(FP), R10
	SHLQ  $2, R10
	MOVQ  groups+48(FP), R11
	TESTQ R9, R9
	JE    bdone
	TESTQ R11, R11
	JE    bdone

brows:
	MOVQ SI, AX
	MOVQ DI, BX
	MOVQ R12, DX
	MOVQ R11, CX

bgroup:
	VMOVUPS     (AX), Y0
	VMOVUPS     (AX)(R8*1), Y1
	VMOVSLDUP   Y0, Y2           // a
	VMOVSHDUP   Y0, Y3           // b
	VMOVSLDUP   Y1, Y4           // c
	VMOVSHDUP   Y1, Y5           // e
	VCMPPS      $0x1e, Y2, Y3, Y6 // m1 = b > a
	VBLENDVPS   Y6, Y3, Y2, Y7    // best = m1 ? b : a
	VCMPPS      $0x1e, Y7, Y4, Y8 // m2 = c > best
	VBLENDVPS   Y8, Y4, Y7, Y7
	VCMPPS      $0x1e, Y7, Y5, Y9 // m3 = e > best
	VMOVUPS     (DX), X10
	VUNPCKHPS   X10, X10, X11
	VUNPCKLPS   X10, X10, X10
	VINSERTF128 $1, X11, Y10, Y10 // g, each value twice
	VORPS       Y8, Y9, Y11
	VANDNPS     Y10, Y11, Y12     // g where neither c nor e won
	VANDNPS     Y12, Y6, Y13      // a's share (even lanes)
	VANDPS      Y12, Y6, Y14      // b's share (odd lanes)
	VBLENDPS    $0xAA, Y14, Y13, Y13
	VMOVUPS     Y13, (BX)
	VANDNPS     Y8, Y9, Y14       // m2 and not m3
	VANDPS      Y10, Y14, Y14     // c's share
	VANDPS      Y10, Y9, Y15      // e's share
	VBLENDPS    $0xAA, Y15, Y14, Y14
	VMOVUPS     Y14, (BX)(R8*1)
	ADDQ        $32, AX
	ADDQ        $32, BX
	ADDQ        $16, DX
	DECQ        CX
	JNZ         bgroup
	LEAQ        (SI)(R8*2), SI
	LEAQ        (DI)(R8*2), DI
	ADDQ        R10, R12
	DECQ        R9
	JNZ         brows

bdone:
	VZEROUPPER
	RET
