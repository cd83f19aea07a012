// Command arthost-plugin-linear is the reference arthost plugin: a softmax
// regression read from a small JSON file, with analytic gradients and SGD
// training. Plugin authors can copy its shape; see README.md.
package main

import "github.com/arthost/arthost/sdk"

func main() {
	sdk.Serve(&linear{}, sdk.WithLogger(sdk.NewLogger("linear")))
}
