// Package vecmath holds the sklearn plugin's elementwise math over slices:
// Exp, the exponential of many values at once, which numpy computes with
// SIMD and the plugin's softmax, expit and kernel loops need as fast.
//
// On amd64 with AVX2 and FMA, Exp runs four values per step in Go assembly
// (chosen at run time); elsewhere, and for arguments outside the range the
// vector code covers, it calls math.Exp. Results agree with math.Exp to a
// few units in the last place.
//
// The package is used by plugins/sklearn/internal/model only.
package vecmath
