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
	// padded says no window leaves the image (x is a padded copy).
	padded bool
}

// pad copies the n samples of cg channels that s reads into a zero-padded
// buffer (buf reused when non-nil, from the scratch pool otherwise) large
// enough that no window leaves it, and points s at the copy with no
// padding: panels of a unit-stride convolution then copy whole runs
// without clipping. It returns the buffer.
func (s *patchSource) pad(buf *[]float32, n, cg int) *[]float32 {
	ph := max(s.ih+s.ph, (s.oh-1)*s.sh+(s.kh-1)*s.dh+1)
	pw := max(s.iw+s.pw, (s.ow-1)*s.sw+(s.kw-1)*s.dw+1)
	size := n * cg * ph * pw
	if buf == nil {
		buf = getScratch(size)
	} else if cap(*buf) < size {
		*buf = make([]float32, size)
	}
	*buf = (*buf)[:size]
	dst := *buf
	clear(dst)
	for smp := 0; smp < n; smp++ {
		for ci := 0; ci < cg; ci++ {
			plane := s.x[smp*s.sampleStride+ci*s.ih*s.iw:]
			pp := dst[(smp*cg+ci)*ph*pw:]
			for y := 0; y < s.ih; y++ {
				copy(pp[(y+s.ph)*pw+s.pw:(y+s.ph)*pw+s.pw+s.iw], plane[y*s.iw:(y+1)*s.iw])
			}
		}
	}
	s.x, s.sampleStride = dst, cg*ph*pw
	s.ih, s.iw, s.ph, s.pw = ph, pw, 0, 0
	s.padded = true
	return buf
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
	if s.padded {
		// Every run is inside: copy each, walking the kernel offsets
		// without a division per row.
		a, b := rem/s.kw, rem%s.kw
		for r := 0; r < kcb; r++ {
			row := panel[r*nr : r*nr+nr]
			delta := ci*ih*iw + a*s.dh*iw + b*s.dw
			if runs == 2 && start[1] == nr/2 {
				// Two output rows of nr/2 (8x8 images): no run loop.
				copyShort(row[:nr/2], x[off[0]+delta:off[0]+delta+nr/2])
				copyShort(row[nr/2:], x[off[nr/2]+delta:off[nr/2]+delta+nr/2])
			} else {
				for t := 0; t < runs; t++ {
					j0, j1 := start[t], start[t+1]
					src := off[j0] + delta
					copyShort(row[j0:j1], x[src:src+j1-j0])
				}
			}
			if b++; b == s.kw {
				b = 0
				if a++; a == s.kh {
					a = 0
					ci++
				}
			}
		}
		return
	}
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
			if x0 >= 0 && x0+j1-j0 <= iw {
				// The whole run is inside (always, on a padded copy).
				src := off[j0] + delta
				copyShort(row[j0:j1], x[src:src+j1-j0])
				continue
			}
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

// copyShort is copy for the runs of a panel (at most linalg.NR values),
// without a call into memmove for each.
func copyShort(dst, src []float32) {
	src = src[:len(dst)]
	for len(dst) >= 8 {
		// Element by element: an array assignment through the pointers
		// would call memmove, since they may overlap.
		d, s := (*[8]float32)(dst), (*[8]float32)(src)
		d[0], d[1], d[2], d[3] = s[0], s[1], s[2], s[3]
		d[4], d[5], d[6], d[7] = s[4], s[5], s[6], s[7]
		dst, src = dst[8:], src[8:]
	}
	for i := range dst {
		dst[i] = src[i]
	}
}

// gradSource is the output gradient of a convolution over a chunk of
// samples as the GEMM's B operand, packed straight from its (sample,
// channel, position) layout: row r = output channel r of the group,
// column q = (sample, position). g starts at the chunk's first sample and
// the group's first channel.
type gradSource struct {
	g            []float32
	sampleStride int // floats between samples in g
	p            int // output positions per sample
}

// PanelB fills buf with the packed block of columns [jc, jc+ncb) and rows
// [pc, pc+kcb).
func (s *gradSource) PanelB(jc, ncb, pc, kcb int, buf []float32) []float32 {
	const nr = linalg.NR
	p := s.p
	for jr := 0; jr < ncb; jr += nr {
		panel := buf[(jr/nr)*kcb*nr : (jr/nr+1)*kcb*nr]
		cols := min(nr, ncb-jr)
		q0 := jc + jr
		smp, pos := q0/p, q0%p
		if cols == nr && pos+nr <= p {
			// One sample's consecutive positions.
			base := smp*s.sampleStride + pc*p + pos
			for r := 0; r < kcb; r++ {
				copyShort(panel[r*nr:r*nr+nr], s.g[base+r*p:base+r*p+nr])
			}
			continue
		}
		for r := 0; r < kcb; r++ {
			row := panel[r*nr : r*nr+nr]
			sm, ps := smp, pos
			for j := 0; j < cols; j++ {
				row[j] = s.g[sm*s.sampleStride+(pc+r)*p+ps]
				if ps++; ps == p {
					ps = 0
					sm++
				}
			}
			clear(row[cols:])
		}
	}
	return buf
}
