//go:build !amd64 || noasm

package linalg

const useAsm = false

func kernelAcc(k int, ap, bp, c []float32, ldc, rows int, set bool) {
	if k > 0 && rows > 0 {
		kernelAccGo(k, ap, bp, c, ldc, min(rows, mr), set)
	}
}

func packA12Fast(panel, a []float32, lda, kcb int) int { return 0 }
