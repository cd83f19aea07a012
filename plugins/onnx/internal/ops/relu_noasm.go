//go:build !amd64 || noasm

package ops

func reluFast(dst, src []float32) int { return 0 }
