package dense

// tileShapes lists every micro-kernel this CPU can run, the portable ones
// included.
func tileShapes() []tileShape {
	ts := []tileShape{{mr: 6, nr: 8}, {mr: 8, nr: 16}}
	if hasAVX2 {
		ts = append(ts, tileShape{mr: 6, nr: 8, asm: kernel6x8})
	}
	if hasAVX512 {
		ts = append(ts, tileShape{mr: 8, nr: 16, asm: kernel8x16})
	}
	return ts
}
