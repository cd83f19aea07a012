//go:build !amd64

package dense

// tile is the portable 6 x 8 micro-kernel.
var tile = tileShape{mr: 6, nr: 8}
