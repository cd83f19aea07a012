package supervise

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"

	"github.com/arthost/arthost/shared/tensor"
)

// request identifies a call's input for poison detection: the method, its
// parameters and its tensors. The digest is computed only when needed
// (after a crash, or while some input is known to be poison), so healthy
// calls do not pay for hashing large inputs.
type request struct {
	method string
	text   string // a string parameter (layer, path)
	params []int64
	xs     []tensor.Tensor
	sum    *[sha256.Size]byte
}

func newRequest(method string, params []int64, xs ...tensor.Tensor) *request {
	return &request{method: method, params: params, xs: xs}
}

func (r *request) digest() [sha256.Size]byte {
	if r.sum != nil {
		return *r.sum
	}
	h := sha256.New()
	h.Write([]byte(r.method))
	h.Write([]byte{0})
	h.Write([]byte(r.text))
	h.Write([]byte{0})
	writeInts(h, r.params)
	for _, t := range r.xs {
		writeTensor(h, t)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	r.sum = &sum
	return sum
}

func writeInts(h hash.Hash, v []int64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(v)))
	h.Write(b[:])
	for _, x := range v {
		binary.LittleEndian.PutUint64(b[:], uint64(x))
		h.Write(b[:])
	}
}

// writeTensor hashes the dtype, the shape and the values.
func writeTensor(h hash.Hash, t tensor.Tensor) {
	h.Write([]byte{byte(t.DType)})
	shape := make([]int64, len(t.Shape))
	for i, s := range t.Shape {
		shape[i] = int64(s)
	}
	writeInts(h, shape)
	buf := make([]byte, 0, 64<<10)
	flush := func() {
		h.Write(buf)
		buf = buf[:0]
	}
	for _, v := range t.F32 {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) >= cap(buf)-8 {
			flush()
		}
	}
	for _, v := range t.F64 {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		if len(buf) >= cap(buf)-8 {
			flush()
		}
	}
	for _, v := range t.I64 {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
		if len(buf) >= cap(buf)-8 {
			flush()
		}
	}
	flush()
}

// poisonMemory counts, per input digest, the crashes in a row the input
// was in flight for, and remembers the inputs found poison. Both maps are
// bounded: when full, an arbitrary entry is forgotten.
type poisonMemory struct {
	limit   int
	strikes map[[sha256.Size]byte]int
	poison  map[[sha256.Size]byte]bool
}

func newPoisonMemory(limit int) *poisonMemory {
	return &poisonMemory{limit: limit, strikes: map[[sha256.Size]byte]int{}, poison: map[[sha256.Size]byte]bool{}}
}

func (p *poisonMemory) reset() {
	clear(p.strikes)
	clear(p.poison)
}

func (p *poisonMemory) any() bool { return len(p.poison) > 0 }

func (p *poisonMemory) isPoison(d [sha256.Size]byte) bool { return p.poison[d] }

// strike records a crash with input d in flight and reports whether d is
// now poison: its second crash in a row, the last one with d alone in
// flight.
func (p *poisonMemory) strike(d [sha256.Size]byte, alone bool) bool {
	p.strikes[d]++
	if p.strikes[d] < 2 || !alone {
		evict(p.strikes, p.limit)
		return false
	}
	delete(p.strikes, d)
	p.poison[d] = true
	evict(p.poison, p.limit)
	return true
}

// clean forgets d's strikes: the input was answered, so it is not poison.
func (p *poisonMemory) clean(d [sha256.Size]byte) { delete(p.strikes, d) }

func evict[V any](m map[[sha256.Size]byte]V, limit int) {
	for k := range m {
		if len(m) <= limit {
			return
		}
		delete(m, k)
	}
}
