//go:build !amd64 || noasm

package vecmath

// hasAsm and hasAVX512 report whether Exp uses assembly kernels.
const (
	hasAsm    = false
	hasAVX512 = false
)

func exp(dst, src []float64) { expGo(dst, src) }

func expWidth(dst, src []float64, _ int) { expGo(dst, src) }
