package nd

import "fmt"

// BroadcastShape returns the numpy broadcast of the given shapes, or an
// error naming them when two dimensions differ and neither is 1.
func BroadcastShape(shapes ...[]int) ([]int, error) {
	r := 0
	for _, s := range shapes {
		if len(s) > r {
			r = len(s)
		}
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := r - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case o == d || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v are not broadcastable", fmtShapes(shapes))
			}
		}
	}
	return out, nil
}

func fmtShapes(shapes [][]int) string {
	s := ""
	for i, sh := range shapes {
		if i > 0 {
			s += " and "
		}
		s += ShapeString(sh)
	}
	return s
}

// BroadcastStrides returns strides to index an array of shape s as if it
// had shape out (0 on broadcast dimensions). len(out) >= len(s).
func BroadcastStrides(s, out []int) []int {
	st := Strides(s)
	res := make([]int, len(out))
	off := len(out) - len(s)
	for i := range s {
		if s[i] != 1 {
			res[off+i] = st[i]
		}
	}
	return res
}

// Indexer walks the elements of a broadcast shape in row-major order and
// yields, for each, the offsets into up to three operands.
type Indexer struct {
	shape   []int
	strides [][]int
}

// NewIndexer prepares a walk over out for operands of the given shapes.
func NewIndexer(out []int, shapes ...[]int) *Indexer {
	ix := &Indexer{shape: out}
	for _, s := range shapes {
		ix.strides = append(ix.strides, BroadcastStrides(s, out))
	}
	return ix
}

// Each calls f(outIndex, offs) for each output element in row-major order,
// with offs[k] the flat offset of operand k.
func (ix *Indexer) Each(f func(i int, offs []int)) {
	n := Size(ix.shape)
	r := len(ix.shape)
	idx := make([]int, r)
	offs := make([]int, len(ix.strides))
	for i := 0; i < n; i++ {
		f(i, offs)
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			for k := range offs {
				offs[k] += ix.strides[k][d]
			}
			if idx[d] < ix.shape[d] {
				break
			}
			for k := range offs {
				offs[k] -= ix.strides[k][d] * idx[d]
			}
			idx[d] = 0
		}
	}
}
