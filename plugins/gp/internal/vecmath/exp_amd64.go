package vecmath

import "golang.org/x/sys/cpu"

// hasVector is whether expAVX512 can run here.
var hasVector = cpu.X86.HasAVX512F

// blockLen is the number of elements expAVX512 handles per iteration.
const blockLen = 32

// expAVX512 is in exp_amd64.s.
//
//go:noescape
func expAVX512(dst, src *float64, n int)

// expVector is Exp for len(x) a positive multiple of blockLen.
func expVector(x []float64) { expAVX512(&x[0], &x[0], len(x)) }
