//go:build !amd64 || noasm

package vecmath

// hasAsm reports whether Exp uses an assembly kernel.
const hasAsm = false

func exp(dst, src []float64) { expGo(dst, src) }
