package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRatios(t *testing.T) {
	in := `BenchmarkPredict/batch=1/side=inprocess-2   100  1000 ns/op
BenchmarkPredict/batch=1/side=remote-2      100  3000 ns/op
BenchmarkPredict/batch=1/side=inprocess-2   100  2000 ns/op
BenchmarkPredict/batch=1/side=remote-2      100  4000 ns/op
BenchmarkPredict/batch=1/side=inprocess-2   100  1000 ns/op
BenchmarkPredict/batch=1/side=remote-2      100  5000 ns/op
BenchmarkTransfer/side=inprocess-2  10  100 ns/op  6000.00 MB/s
BenchmarkTransfer/side=remote-2     10  400 ns/op  1500.00 MB/s
`
	var out bytes.Buffer
	if err := run(strings.NewReader(in), &out, "remote", "inprocess"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	// pairs: 3, 2, 5 -> median 3, spread 2..5
	for _, want := range []string{"BenchmarkPredict/batch=1", "3.00x (2.00..5.00)", "BenchmarkTransfer", "4.00x", "1.50 GB/s", "6.00 GB/s"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
