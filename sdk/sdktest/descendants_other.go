//go:build !linux

package sdktest

// descendants is not implemented here: the kill check then looks at the
// plugin's own process only.
func descendants(int) []int { return nil }
