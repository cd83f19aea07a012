//go:build !amd64

package dense

const vectorBlock = 16

const vectorAsm = false

func dotVector(x, y []float64) float64 { panic("dense: no vector dot") }

func axpySubVector(alpha float64, x, y []float64) { panic("dense: no vector axpy") }
