//go:build !amd64

package vecmath

const hasVector = false

const blockLen = 32

func expVector(x []float64) { panic("vecmath: no vector exp") }
