//go:build !amd64

package dense

// tileShapes lists every micro-kernel this CPU can run.
func tileShapes() []tileShape { return []tileShape{{mr: 6, nr: 8}, {mr: 8, nr: 16}} }
