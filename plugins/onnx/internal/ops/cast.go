package ops

import (
	"math"

	"github.com/arthost/arthost/plugins/onnx/internal/nd"
	"github.com/arthost/arthost/plugins/onnx/internal/onnxpb"
)

// castTarget maps an ONNX data type to the runtime dtype that holds it;
// integer types all live in int64 (values are truncated toward zero).
func castTarget(to int) (nd.DType, bool) {
	switch onnxpb.TensorProto_DataType(to) {
	case onnxpb.TensorProto_FLOAT:
		return nd.Float32, true
	case onnxpb.TensorProto_INT64, onnxpb.TensorProto_INT32, onnxpb.TensorProto_INT16, onnxpb.TensorProto_INT8,
		onnxpb.TensorProto_UINT8, onnxpb.TensorProto_UINT16, onnxpb.TensorProto_UINT32, onnxpb.TensorProto_UINT64:
		return nd.Int64, true
	case onnxpb.TensorProto_BOOL:
		return nd.Bool, true
	}
	return 0, false
}

func buildCast(n *Node) (Kernel, error) {
	to := n.Attrs.Int("to", 0)
	dt, ok := castTarget(to)
	if !ok {
		return nil, n.Errorf("cast to %s is not supported (float32 runtime)", onnxpb.TensorProto_DataType(to))
	}
	return one(func(ctx *Ctx, in []*nd.Array) (*nd.Array, error) {
		x := in[0]
		if x == nil {
			return nil, n.Errorf("missing input")
		}
		return Cast(x, dt), nil
	}), nil
}

// Cast converts x to dtype dt (float to int truncates toward zero, any
// non-zero value is true).
func Cast(x *nd.Array, dt nd.DType) *nd.Array {
	if x.DType == dt {
		return x
	}
	y := nd.New(dt, append([]int(nil), x.Shape...)...)
	for i := 0; i < x.Len(); i++ {
		switch {
		case dt == nd.Float32:
			y.F[i] = float32(x.I[i])
		case dt == nd.Bool && x.DType == nd.Float32:
			y.I[i] = int64(boolInt(x.F[i] != 0))
		case dt == nd.Bool:
			y.I[i] = int64(boolInt(x.I[i] != 0))
		case x.DType == nd.Float32:
			v := float64(x.F[i])
			if math.IsNaN(v) {
				v = 0
			}
			y.I[i] = int64(math.Trunc(v))
		default:
			y.I[i] = x.I[i]
		}
	}
	return y
}
