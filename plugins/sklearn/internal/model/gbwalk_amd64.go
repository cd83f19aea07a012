//go:build amd64 && !noasm

package model

import "golang.org/x/sys/cpu"

// hasTreeAsm reports whether the AVX-512 tree walk is in use; it is fixed
// by the CPU for the life of the process.
var hasTreeAsm = cpu.X86.HasAVX512F

// walk8 is addGo for blocks*8 rows, eight rows per step: each level
// looks up the rows' features and bounds in the tables by permutation,
// gathers the eight inputs and steps left or right under a compare mask;
// the leaf values are then added to acc. rowOff holds 0, d, ..., 7d and
// stride8 is 8*d*8, the bytes of eight rows. depth is at least 1.
//
//go:noescape
func walk8(x *float64, stride8, blocks int, rowOff *[8]int64, t *treeTable, acc *float64)

// add is addGo, eight rows at a time on AVX-512 when there is one.
func (t *treeTable) add(x []float64, d, b int, acc []float64) {
	full := b / 8
	if !hasTreeAsm || full == 0 || t.depth == 0 {
		t.addGo(x, d, b, acc)
		return
	}
	_ = x[b*d-1]
	_ = acc[b-1]
	var rowOff [8]int64
	for i := range rowOff {
		rowOff[i] = int64(i * d)
	}
	walk8(&x[0], 64*d, full, &rowOff, t, &acc[0])
	if rest := b - 8*full; rest > 0 {
		t.addGo(x[8*full*d:], d, rest, acc[8*full:])
	}
}
