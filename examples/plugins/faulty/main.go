// Command arthost-plugin-faulty is a working softmax classifier that
// misbehaves on request, for testing and demonstrating arthost's
// supervision. Options:
//
//	fault=panic|exit|segv|hang|oom|garbage-log|slow  what goes wrong (default: nothing)
//	after=N        calls answered normally before the fault (default 0)
//	poison=V       also fault on any call whose first input value is V
//	delay=D        how long a slow call sleeps (default 3s)
//
// Without --model it uses built-in weights for 4 features and 3 classes;
// with one it reads the linear plugin's JSON format. See README.md for
// what the host does with each fault.
package main

import "github.com/arthost/arthost/sdk"

func main() {
	sdk.Serve(&faulty{}, sdk.WithLogger(sdk.NewLogger("faulty")))
}
