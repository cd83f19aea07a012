package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/arthost/arthost/plugins/blackbox/internal/testmodel"
	"github.com/arthost/arthost/shared/tensor"
)

// BenchmarkPredictHTTP is the per-query overhead of the whole plugin path
// (accounting, HTTP v2 on loopback, JSON both ways, the in-process model
// server's own work) at batch 1 and 64. Each iteration sends new rows, so
// nothing is deduplicated or cached.
func BenchmarkPredictHTTP(b *testing.B) {
	for _, n := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			srv := &testmodel.Server{Model: testmodel.Fixed()}
			e, _ := load(b, map[string]string{"source": "http", "url": serve(b, srv), "model": "softmax"})
			x := batchOf(rowsOf(n, 4), tensor.Float32)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x.F32[0] = float32(i) // a new row every time
				if _, err := e.Predict(context.Background(), x, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "us/row")
		})
	}
}

// BenchmarkPredictConcurrency is the throughput of one Predict of 256 rows, split
// into requests of batch_size=16 rows, against a server that takes 2ms per
// request, as the concurrency option grows.
func BenchmarkPredictConcurrency(b *testing.B) {
	const rows = 256
	for _, c := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			srv := &testmodel.Server{Model: testmodel.Fixed(), Delay: 2 * time.Millisecond}
			e, _ := load(b, map[string]string{"source": "http", "url": serve(b, srv), "model": "softmax", "batch_size": "16", "concurrency": fmt.Sprint(c)})
			x := batchOf(rowsOf(rows, 4), tensor.Float32)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for r := 0; r < rows; r++ {
					x.F32[4*r] = float32(i*rows + r)
				}
				if _, err := e.Predict(context.Background(), x, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
