//go:build !amd64 || noasm

package ops

func maxPool2x2Fast(dst, src []float32, iw, oh, ow int) int { return 0 }

func maxPool2x2BackFast(dx, x, g []float32, iw, oh, ow int) int { return 0 }
