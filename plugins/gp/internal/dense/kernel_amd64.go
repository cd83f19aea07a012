package dense

import "golang.org/x/sys/cpu"

// The micro-kernel is chosen once, by the CPU's features: 8 x 16 in
// AVX-512 (16 of the 32 zmm registers hold the tile), else 6 x 8 in
// AVX2/FMA (12 of the 16 ymm registers), else the portable 6 x 8.
var (
	hasAVX512 = cpu.X86.HasAVX512F
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	tile      = chooseTile(hasAVX512)
)

func chooseTile(avx512 bool) tileShape {
	if avx512 {
		return tileShape{mr: 8, nr: 16, asm: kernel8x16}
	}
	if hasAVX2 {
		return tileShape{mr: 6, nr: 8, asm: kernel6x8}
	}
	return tileShape{mr: 6, nr: 8}
}

// kernel6x8 and kernel8x16 are kernelGo in assembly (kernel_amd64.s)
// for their tile. a, b and c point at the first elements; k must be at
// least 1.
//
//go:noescape
func kernel6x8(k int, a, b, c *float64, ldc int)

//go:noescape
func kernel8x16(k int, a, b, c *float64, ldc int)
