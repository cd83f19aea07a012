package linalg

// kernelAccGo adds the first rows rows of Ap * Bp into the tile of C at
// c[0] (row stride ldc), or with set stores them there, for packed panels
// of depth k (Ap: k x mr, Bp: k x nr). It is the
// portable micro-kernel and the reference the assembly kernels are tested
// against.
func kernelAccGo(k int, ap, bp, c []float32, ldc, rows int, set bool) {
	var acc [mr][nr]float32
	ap, bp = ap[:k*mr], bp[:k*nr]
	for p := 0; p < k; p++ {
		b := (*[nr]float32)(bp[p*nr:])
		a := (*[mr]float32)(ap[p*mr:])
		for i := 0; i < mr; i++ {
			ai := a[i]
			r := &acc[i]
			for j := 0; j < nr; j++ {
				r[j] += ai * b[j]
			}
		}
	}
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+nr]
		if set {
			copy(row, acc[i][:])
			continue
		}
		for j, v := range acc[i] {
			row[j] += v
		}
	}
}
