// Package linalg is the sklearn plugin's float64 matrix product: x W^T + b
// for a weight matrix W fixed at load time (linear models' coefficients,
// MLP layers, SVC support vectors) and a batch of input rows x.
//
// W and b are packed once into column panels (Pack, PackT); Weights.Mul then
// runs a register-blocked micro-kernel over 8 x 8 tiles of rows x panel
// columns. On amd64 the micro-kernel is Go assembly chosen at run time
// (AVX-512, else AVX2 with FMA); elsewhere, or with the noasm build tag, it
// is the portable Go loop that is also the assembly's test reference. Every
// output is summed over the depth in index order (one fused multiply-add
// per term on the assembly paths) before the bias is added, and the last
// rows of a batch go through the same kernel from a padded copy, so a row's
// result does not depend on where it sits in the batch.
//
// The package is used by plugins/sklearn/internal/model only.
package linalg
