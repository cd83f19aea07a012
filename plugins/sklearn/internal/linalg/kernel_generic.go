package linalg

// kernelGo is the portable micro-kernel and the reference the assembly is
// tested against: c[i*ldc+j] = (sum over p < k of a[i*lda+p] * b[p*nr+j])
// + bias[j], for i < mr and j < cols.
func kernelGo(k int, a []float64, lda int, b, bias, c []float64, ldc, cols int) {
	_ = c[(mr-1)*ldc+cols-1]
	b, bias = b[:k*nr], bias[:nr]
	for i := 0; i < mr; i++ {
		var acc [nr]float64
		for p, v := range a[i*lda : i*lda+k] {
			bp := (*[nr]float64)(b[p*nr:])
			for j := range acc {
				acc[j] += v * bp[j]
			}
		}
		row := c[i*ldc : i*ldc+cols]
		for j := range row {
			row[j] = acc[j] + bias[j]
		}
	}
}
