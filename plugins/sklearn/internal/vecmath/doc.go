// Package vecmath holds the sklearn plugin's elementwise math over slices:
// Exp, the exponential of many values at once, which numpy computes with
// SIMD and the plugin's softmax, expit and kernel loops need as fast, and
// SoftmaxRows, the softmax of every row of a batch.
//
// On amd64 with AVX2 and FMA, Exp runs four values per step in Go
// assembly, and eight with AVX-512 (both chosen at run time); elsewhere,
// and for arguments outside the range the vector code covers, it calls
// math.Exp. Results agree with math.Exp to a few units in the last place.
// SoftmaxRows takes blocks of rows through a row maximum, Exp and a row
// sum; with AVX-512 the row passes run eight values per step in Go
// assembly too.
//
// The package is used by plugins/sklearn/internal/model only.
package vecmath
