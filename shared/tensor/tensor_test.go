package tensor

import (
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/arthost/arthost/shared/estimatorv1"
)

func TestCodecRoundTrip(t *testing.T) {
	cases := map[string]Tensor{
		"scalar float64": FromFloat64([]float64{math.Pi}),
		"zero rows":      FromFloat32([]float32{}, 0, 3),
		"float32":        FromFloat32([]float32{1, -2, float32(math.Inf(1)), 4, 5, 6}, 2, 3),
		"float64":        FromFloat64([]float64{1e-300, -0.0, 3}, 3, 1),
		"int64":          FromInt64([]int64{math.MinInt64, 0, math.MaxInt64, 7}, 2, 2),
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := ToProto(want)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Data) != want.Len()*want.DType.Size() {
				t.Fatalf("%d bytes for %d values", len(p.Data), want.Len())
			}
			got, err := FromProto(p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestCodecLittleEndianBytes(t *testing.T) {
	p, err := ToProto(FromFloat32([]float32{1}, 1))
	if err != nil {
		t.Fatal(err)
	}
	// 1.0f is 0x3f800000, little-endian on the wire.
	if diff := cmp.Diff([]byte{0, 0, 0x80, 0x3f}, p.Data); diff != "" {
		t.Fatal(diff)
	}
}

func TestFromProtoRefuses(t *testing.T) {
	cases := []struct {
		name string
		p    *estimatorv1.Tensor
		want string
	}{
		{"nil", nil, "missing tensor"},
		{"no dtype", &estimatorv1.Tensor{Shape: []int64{1}, Data: make([]byte, 4)}, "unsupported dtype"},
		{"short data", &estimatorv1.Tensor{Dtype: estimatorv1.DType_DTYPE_FLOAT32, Shape: []int64{2, 2}, Data: make([]byte, 15)}, "needs 16 bytes, got 15"},
		{"long data", &estimatorv1.Tensor{Dtype: estimatorv1.DType_DTYPE_FLOAT64, Shape: []int64{1}, Data: make([]byte, 9)}, "needs 8 bytes, got 9"},
		{"negative dim", &estimatorv1.Tensor{Dtype: estimatorv1.DType_DTYPE_FLOAT32, Shape: []int64{-1, 2}}, "negative dimension"},
		{"huge shape", &estimatorv1.Tensor{Dtype: estimatorv1.DType_DTYPE_FLOAT32, Shape: []int64{1 << 40, 1 << 40}}, "more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FromProto(c.p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func FuzzFromProto(f *testing.F) {
	f.Add(int32(1), int64(2), int64(3), make([]byte, 24))
	f.Add(int32(3), int64(1), int64(1), make([]byte, 8))
	f.Fuzz(func(t *testing.T, dtype int32, d0, d1 int64, data []byte) {
		x, err := FromProto(&estimatorv1.Tensor{Dtype: estimatorv1.DType(dtype), Shape: []int64{d0, d1}, Data: data})
		if err != nil {
			return
		}
		if err := x.Validate(); err != nil {
			t.Fatalf("accepted an invalid tensor: %v", err)
		}
	})
}

func TestNormalizeLabels(t *testing.T) {
	cases := []struct {
		name  string
		y     Tensor
		index []int
		want  string
	}{
		{"indices", FromInt64([]int64{2, 0}, 2), []int{2, 0}, ""},
		{"column of indices", FromInt64([]int64{1, 2}, 2, 1), []int{1, 2}, ""},
		{"whole floats", FromFloat32([]float32{1, 0}, 2), []int{1, 0}, ""},
		{"one-hot", FromFloat32([]float32{0, 0, 1, 1, 0, 0}, 2, 3), []int{2, 0}, ""},
		{"soft", FromFloat64([]float64{0.2, 0.7, 0.1, 0.5, 0.25, 0.25}, 2, 3), []int{1, 0}, ""},
		{"out of range", FromInt64([]int64{0, 3}, 2), nil, "row 1 is class 3, out of range [0,3)"},
		{"negative", FromInt64([]int64{-1, 0}, 2), nil, "row 0 is class -1"},
		{"fraction", FromFloat32([]float32{0.5, 1}, 2), nil, "row 0 is 0.5, not a class index"},
		{"wrong rows", FromInt64([]int64{0, 1, 2}, 3), nil, "does not match 2 samples"},
		{"wrong width", FromFloat32([]float32{1, 0, 0, 1}, 2, 2), nil, "want (2,) indices or (2, 3) one-hot"},
		{"rows not summing to one", FromFloat32([]float32{1, 1, 0, 1, 0, 0}, 2, 3), nil, "row 0 sums to 2"},
		{"NaN", FromFloat32([]float32{float32(math.NaN()), 1, 0, 1, 0, 0}, 2, 3), nil, "not a probability"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := NormalizeLabels(c.y, 2, 3)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.index, l.Index); diff != "" {
				t.Fatal(diff)
			}
			for i := 0; i < 2; i++ {
				sum := 0.0
				for j := 0; j < 3; j++ {
					sum += l.Prob[i*3+j]
				}
				if math.Abs(sum-1) > 1e-6 {
					t.Fatalf("row %d of Prob sums to %v", i, sum)
				}
			}
		})
	}
}

func TestSliceConcat(t *testing.T) {
	x := FromFloat32([]float32{1, 2, 3, 4, 5, 6}, 3, 2)
	parts := []Tensor{x.Slice(0, 1), x.Slice(1, 3)}
	got, err := Concat(parts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(x, got, cmpopts.EquateEmpty()); diff != "" {
		t.Fatal(diff)
	}
	if _, err := Concat([]Tensor{x, FromFloat32([]float32{1}, 1, 1)}); err == nil {
		t.Fatal("concat of mismatched rows accepted")
	}
}

// TestFromBytesMisaligned decodes bytes that do not start on an element
// boundary, the path that copies instead of viewing in place.
func TestFromBytesMisaligned(t *testing.T) {
	want := []float64{1.5, -2, math.MaxFloat64}
	raw := append([]byte{0}, asBytes(want)...)
	got := fromBytes[float64](raw[1:])
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	if &got[0] == (*float64)(unsafe.Pointer(&raw[1])) {
		t.Fatal("misaligned bytes were viewed in place")
	}
}
