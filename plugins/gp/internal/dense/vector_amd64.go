package dense

// vectorBlock is the number of elements the assembly vector loops handle
// per iteration; shorter tails run in Go.
const vectorBlock = 16

// vectorAsm is whether dotAVX512 and axpySubAVX512 can run here.
var vectorAsm = hasAVX512

// dotAVX512 and axpySubAVX512 are in vector_amd64.s; n must be a multiple
// of vectorBlock.
//
//go:noescape
func dotAVX512(x, y *float64, n int) float64

//go:noescape
func axpySubAVX512(alpha float64, x, y *float64, n int)

func dotVector(x, y []float64) float64 { return dotAVX512(&x[0], &y[0], len(x)) }

func axpySubVector(alpha float64, x, y []float64) { axpySubAVX512(alpha, &x[0], &y[0], len(x)) }
