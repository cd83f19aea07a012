package ops

import "github.com/arthost/arthost/plugins/onnx/internal/linalg"

// patchSource is the im2col matrix of a 2-D convolution over a chunk of
// samples, produced directly in the GEMM's packed panel layout (fusing
// im2col and packing): row r = (ci, a, b) of the kernel, column q =
// (sample, y, x) of the output.
type patchSource struct {
	x              []float32 // the chunk's first sample, channel offset applied
	sampleStride   int       // floats between samples in x
	ih, iw, oh, ow int
	kh, kw         int
	sh, sw, dh, dw int
	ph, pw         int
}

// PanelB fills buf with the packed block of columns [jc, jc+ncb) and rows
// [pc, pc+kcb).
func (s *patchSource) PanelB(jc, ncb, pc, kcb int, buf []float32) []float32 {
	const nr = linalg.NR
	p := s.oh * s.ow
	kk := s.kh * s.kw
	ih, iw := s.ih, s.iw
	x := s.x
	var off, ys, xs [nr]int
	for jr := 0; jr < ncb; jr += nr {
		cols := min(nr, ncb-jr)
		// Walk the output positions of the panel's columns without a
		// division per column (they would dominate when kcb is small).
		q0 := jc + jr
		smp, pos := q0/p, q0%p
		oy, ox := pos/s.ow, pos%s.ow
		for j := 0; j < cols; j++ {
			ys[j] = oy*s.sh - s.ph
			xs[j] = ox*s.sw - s.pw
			off[j] = smp*s.sampleStride + ys[j]*iw + xs[j]
			if ox++; ox == s.ow {
				ox = 0
				if oy++; oy == s.oh {
					oy = 0
					smp++
				}
			}
		}
		panel := buf[(jr/nr)*kcb*nr : (jr/nr+1)*kcb*nr]
		if s.sw == 1 && cols == nr {
			s.panelRuns(panel, pc, kcb, &off, &ys, &xs)
			continue
		}
		// A full panel of one output row with unit stride reads 16
		// consecutive inputs: copy them when the window row is inside.
		run := cols == nr && s.sw == 1 && ys[0] == ys[nr-1] && off[nr-1]-off[0] == nr-1
		ci, rem := pc/kk, pc%kk
		for r := 0; r < kcb; r++ {
			row := (*[nr]float32)(panel[r*nr:])
			dy, dx := (rem/s.kw)*s.dh, (rem%s.kw)*s.dw
			delta := ci*ih*iw + dy*iw + dx
			if run && uint(ys[0]+dy) < uint(ih) && xs[0]+dx >= 0 && xs[nr-1]+dx < iw {
				copy(row[:], x[off[0]+delta:off[0]+delta+nr])
				if rem++; rem == kk {
					rem = 0
					ci++
				}
				continue
			}
			for j := 0; j < cols; j++ {
				if uint(ys[j]+dy) < uint(ih) && uint(xs[j]+dx) < uint(iw) {
					row[j] = x[off[j]+delta]
				} else {
					row[j] = 0
				}
			}
			for j := cols; j < nr; j++ {
				row[j] = 0
			}
			if rem++; rem == kk {
				rem = 0
				ci++
			}
		}
	}
	return buf
}

// panelRuns fills one full panel for a unit column stride: the panel's
// columns split into runs sharing a sample and an output row, whose
// inputs under one kernel offset are consecutive, so each run is copied
// with its clipped edges zeroed instead of testing every element (small
// images have rows shorter than a panel).
func (s *patchSource) panelRuns(panel []float32, pc, kcb int, off, ys, xs *[linalg.NR]int) {
	const nr = linalg.NR
	var start [nr + 1]int
	runs := 0
	// A pointwise convolution reads whole rows: a run continues across
	// output rows and ends only with its sample.
	pointwise := s.kh == 1 && s.kw == 1 && s.sh == 1 && s.ph == 0 && s.pw == 0 && s.ow == s.iw && s.oh == s.ih
	for j := 0; j < nr; j++ {
		if j == 0 || off[j] != off[j-1]+1 || (!pointwise && (ys[j] != ys[j-1] || xs[j] != xs[j-1]+1)) {
			start[runs] = j
			runs++
		}
	}
	start[runs] = nr
	kk := s.kh * s.kw
	ih, iw := s.ih, s.iw
	x := s.x
	ci, rem := pc/kk, pc%kk
	for r := 0; r < kcb; r++ {
		row := (*[nr]float32)(panel[r*nr:])
		dy, dx := (rem/s.kw)*s.dh, (rem%s.kw)*s.dw
		delta := ci*ih*iw + dy*iw + dx
		for t := 0; t < runs; t++ {
			j0, j1 := start[t], start[t+1]
			if pointwise {
				src := off[j0] + delta
				copy(row[j0:j1], x[src:src+j1-j0])
				continue
			}
			if uint(ys[j0]+dy) >= uint(ih) {
				clear(row[j0:j1])
				continue
			}
			// Columns j of the run read input column xs[j0]+(j-j0)+dx:
			// inside for j in [lo, hi).
			x0 := xs[j0] + dx
			lo, hi := j0+max(0, -x0), min(j1, j0+iw-x0)
			if hi <= lo {
				clear(row[j0:j1])
				continue
			}
			clear(row[j0:lo])
			src := off[lo] + delta
			copy(row[lo:hi], x[src:src+hi-lo])
			clear(row[hi:j1])
		}
		if rem++; rem == kk {
			rem = 0
			ci++
		}
	}
}
