// Package npyarr reads and writes one NumPy .npy array as a tensor.Tensor.
//
// It is the black-box plugin's codec for the command source (batches on a
// program's stdin and stdout) and the table source (arrays inside an .npz).
// Reading uses codeberg.org/sbinet/npyio behind guards that make it safe on
// untrusted bytes: the header length, the dtype and the element count are
// checked before npyio allocates anything, and a panic inside npyio on a
// malformed header becomes an error. Read consumes exactly one array from
// the stream, so consecutive arrays on a pipe can be read one at a time.
package npyarr

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"

	"github.com/arthost/arthost/shared/tensor"
)

// maxHeaderLen bounds the header dictionary. numpy itself refuses headers
// above 10000 bytes by default (max_header_size); a little more room costs
// nothing and a 4 GiB header length from a corrupt file is never allocated.
const maxHeaderLen = 1 << 16

// kind is how an on-disk dtype is held in memory.
type kind struct {
	dtype tensor.DType // Float32, Float64 or Int64
	read  func(r *npyio.Reader, n int) (tensor.Tensor, error)
	size  int // bytes per element on disk
}

// kinds maps a dtype code without its byte-order character ("f4") to how it
// is read. Integers and booleans become int64 (class labels); float16,
// unsigned 64-bit, complex, string and structured dtypes are refused.
var kinds = map[string]kind{
	"f4": {tensor.Float32, readAs[float32], 4},
	"f8": {tensor.Float64, readAs[float64], 8},
	"i8": {tensor.Int64, readAs[int64], 8},
	"i4": {tensor.Int64, readAs[int32], 4},
	"i2": {tensor.Int64, readAs[int16], 2},
	"i1": {tensor.Int64, readAs[int8], 1},
	"u4": {tensor.Int64, readAs[uint32], 4},
	"u2": {tensor.Int64, readAs[uint16], 2},
	"u1": {tensor.Int64, readAs[uint8], 1},
	"b1": {tensor.Int64, readAs[bool], 1},
}

type element interface {
	float32 | float64 | int64 | int32 | int16 | int8 | uint32 | uint16 | uint8 | bool
}

func readAs[T element](r *npyio.Reader, n int) (tensor.Tensor, error) {
	v := make([]T, n)
	if n > 0 {
		if err := r.Read(&v); err != nil {
			return tensor.Tensor{}, fmt.Errorf("npy data: %w", eofAsUnexpected(err))
		}
	}
	switch vv := any(v).(type) {
	case []float32:
		return tensor.Tensor{DType: tensor.Float32, F32: vv}, nil
	case []float64:
		return tensor.Tensor{DType: tensor.Float64, F64: vv}, nil
	case []int64:
		return tensor.Tensor{DType: tensor.Int64, I64: vv}, nil
	}
	out := make([]int64, n)
	for i, x := range v {
		switch x := any(x).(type) {
		case bool:
			if x {
				out[i] = 1
			}
		case int32:
			out[i] = int64(x)
		case int16:
			out[i] = int64(x)
		case int8:
			out[i] = int64(x)
		case uint32:
			out[i] = int64(x)
		case uint16:
			out[i] = int64(x)
		case uint8:
			out[i] = int64(x)
		}
	}
	return tensor.Tensor{DType: tensor.Int64, I64: out}, nil
}

// Read reads one .npy array from r, consuming exactly its bytes. Arrays
// whose data would exceed maxBytes are refused before anything is
// allocated. float32 and float64 arrays keep their precision; integer and
// boolean arrays become int64. Fortran-ordered arrays are returned in C
// (row-major) order.
func Read(r io.Reader, maxBytes int64) (t tensor.Tensor, err error) {
	head, err := readHeader(r)
	if err != nil {
		return tensor.Tensor{}, err
	}
	defer func() {
		if p := recover(); p != nil {
			t, err = tensor.Tensor{}, fmt.Errorf("npy: malformed array: %v", p)
		}
	}()
	// npyio parses the header alone; the data are copied in only once
	// the header's size is known to be within limits and they have all
	// arrived, so a short stream never causes a large allocation.
	var body bytes.Buffer
	nr, err := npyio.NewReader(io.MultiReader(bytes.NewReader(head), &body))
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("npy header: %w", err)
	}
	k, shape, err := checkDescr(&nr.Header, maxBytes)
	if err != nil {
		return tensor.Tensor{}, err
	}
	n := tensor.NumElements(shape)
	if _, err := io.CopyN(&body, r, int64(n*k.size)); err != nil {
		return tensor.Tensor{}, fmt.Errorf("npy data: %w", eofAsUnexpected(err))
	}
	t, err = k.read(nr, n)
	if err != nil {
		return tensor.Tensor{}, err
	}
	t.Shape = shape
	if nr.Header.Descr.Fortran && len(shape) > 1 {
		t = fromFortran(t)
	}
	return t, nil
}

// readHeader reads the magic, the version, the header length and the
// header, checking each before the next is trusted, and returns them as
// one version 1 or 2 header that npyio can parse.
func readHeader(r io.Reader) ([]byte, error) {
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return nil, fmt.Errorf("npy header: %w", eofAsUnexpected(err))
	}
	if !bytes.Equal(pre[:6], npyio.Magic[:]) {
		return nil, fmt.Errorf("npy header: not a .npy array (magic %q)", pre[:6])
	}
	var hlen, plen int
	switch major := pre[6]; major {
	case 1:
		hlen, plen = int(binary.LittleEndian.Uint16(pre[8:10])), 10
	case 2, 3:
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return nil, fmt.Errorf("npy header: %w", eofAsUnexpected(err))
		}
		hlen, plen = int(binary.LittleEndian.Uint32(pre[8:12])), 12
		pre[6] = 2 // npyio reads a version 3 (utf-8) header as version 2
	default:
		return nil, fmt.Errorf("npy header: unknown format version %d", major)
	}
	if hlen > maxHeaderLen {
		return nil, fmt.Errorf("npy header: %d bytes, over the %d-byte limit", hlen, maxHeaderLen)
	}
	head := make([]byte, plen+hlen)
	copy(head, pre[:plen])
	if _, err := io.ReadFull(r, head[plen:]); err != nil {
		return nil, fmt.Errorf("npy header: %w", eofAsUnexpected(err))
	}
	if err := checkHeaderText(head[plen:]); err != nil {
		return nil, err
	}
	return head, nil
}

// checkHeaderText refuses header dictionaries that npyio would slice out of
// range: it needs the three keys in numpy's order, a closing brace after
// them and a final newline.
func checkHeaderText(h []byte) error {
	nl := bytes.LastIndexByte(h, '\n')
	if nl < 0 {
		return fmt.Errorf("npy header: no terminating newline")
	}
	h = h[:nl]
	d := bytes.Index(h, []byte("'descr': "))
	o := bytes.Index(h, []byte("'fortran_order': "))
	s := bytes.Index(h, []byte("'shape': "))
	e := bytes.Index(h, []byte("}"))
	if d < 0 || o < 0 || s < 0 || e < 0 {
		return fmt.Errorf("npy header: missing descr, fortran_order or shape")
	}
	if !(d+len("'descr': ") <= o-2 && o+len("'fortran_order': ") <= s-2 && s+len("'shape': ") <= e-2) {
		return fmt.Errorf("npy header: keys out of numpy's order in %q", h)
	}
	shape := strings.TrimSpace(string(h[s+len("'shape': ") : e-2]))
	if len(shape) < 2 || shape[0] != '(' || shape[len(shape)-1] != ')' {
		return fmt.Errorf("npy header: shape %q is not a tuple", shape)
	}
	return nil
}

// checkDescr returns how to read the array and its shape, refusing
// unsupported dtypes, negative dimensions and arrays over maxBytes.
func checkDescr(h *npyio.Header, maxBytes int64) (kind, []int, error) {
	code := strings.Trim(h.Descr.Type, `'"`)
	if len(code) != 3 || !strings.ContainsRune("<>|=", rune(code[0])) {
		return kind{}, nil, fmt.Errorf("npy header: unsupported dtype %s", h.Descr.Type)
	}
	k, ok := kinds[code[1:]]
	if !ok {
		return kind{}, nil, fmt.Errorf("npy header: unsupported dtype %s (want float32, float64, an integer or bool)", h.Descr.Type)
	}
	shape := append([]int(nil), h.Descr.Shape...)
	total := int64(k.size)
	for _, d := range shape {
		if d < 0 {
			return kind{}, nil, fmt.Errorf("npy header: negative dimension in shape %v", shape)
		}
		if d > 0 && total > maxBytes/int64(d) {
			return kind{}, nil, fmt.Errorf("npy header: shape %v exceeds the %d-byte limit", shape, maxBytes)
		}
		total *= int64(d)
	}
	if total > maxBytes {
		return kind{}, nil, fmt.Errorf("npy header: shape %v exceeds the %d-byte limit", shape, maxBytes)
	}
	return k, shape, nil
}

// fromFortran reorders column-major values of t.Shape into row-major.
func fromFortran(t tensor.Tensor) tensor.Tensor {
	n := tensor.NumElements(t.Shape)
	out := tensor.New(t.DType, t.Shape...)
	idx := make([]int, len(t.Shape))
	for c := 0; c < n; c++ { // c walks the row-major index
		f, stride := 0, 1
		for d := range t.Shape {
			f += idx[d] * stride
			stride *= t.Shape[d]
		}
		switch t.DType {
		case tensor.Float32:
			out.F32[c] = t.F32[f]
		case tensor.Float64:
			out.F64[c] = t.F64[f]
		case tensor.Int64:
			out.I64[c] = t.I64[f]
		}
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.Shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

func eofAsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Write writes t as a version 1.0 .npy array, little-endian, C order, with
// the header padded so the data starts on a 64-byte boundary as numpy does.
func Write(w io.Writer, t tensor.Tensor) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("npy write: %w", err)
	}
	var descr string
	switch t.DType {
	case tensor.Float32:
		descr = "<f4"
	case tensor.Float64:
		descr = "<f8"
	case tensor.Int64:
		descr = "<i8"
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ") + ")"
	if len(t.Shape) == 1 {
		shape = "(" + dims[0] + ",)"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	pad := 64 - (10+len(dict)+1)%64
	if pad == 64 {
		pad = 0
	}
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	if len(hdr) > math.MaxUint16 {
		return fmt.Errorf("npy write: shape %v makes a header too long for format 1.0", t.Shape)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(npyio.Magic[:])
	bw.Write([]byte{1, 0})
	binary.Write(bw, binary.LittleEndian, uint16(len(hdr)))
	bw.WriteString(hdr)
	var err error
	switch t.DType {
	case tensor.Float32:
		err = binary.Write(bw, binary.LittleEndian, t.F32)
	case tensor.Float64:
		err = binary.Write(bw, binary.LittleEndian, t.F64)
	case tensor.Int64:
		err = binary.Write(bw, binary.LittleEndian, t.I64)
	}
	if err != nil {
		return fmt.Errorf("npy write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("npy write: %w", err)
	}
	return nil
}
