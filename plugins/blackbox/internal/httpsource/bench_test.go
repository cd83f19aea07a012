package httpsource

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/arthost/arthost/plugins/blackbox/internal/testmodel"
)

// BenchmarkQuery measures one query on loopback, request encoding to
// decoded answer, against the in-process softmax server: the per-query
// overhead of the HTTP source at batch 1 and 64 for both protocols.
func BenchmarkQuery(b *testing.B) {
	for _, proto := range []string{ProtocolV2, ProtocolTFServing} {
		for _, n := range []int{1, 64} {
			b.Run(fmt.Sprintf("protocol=%s/batch=%d", proto, n), func(b *testing.B) {
				srv := &testmodel.Server{Model: testmodel.Fixed()}
				src := newSource(b, Config{URL: serve(b, srv), Protocol: proto, InputName: "x"})
				x := batch32(inputs(n))
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := src.Query(ctx, x); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/query")
			})
		}
	}
}

// BenchmarkConcurrency measures throughput against a server that takes 2ms
// per request (a model's latency), with 16 callers sending batches of 8
// rows and the source's concurrency option capping requests in flight.
func BenchmarkConcurrency(b *testing.B) {
	const callers, rows = 16, 8
	for _, c := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", c), func(b *testing.B) {
			srv := &testmodel.Server{Model: testmodel.Fixed(), Delay: 2 * time.Millisecond}
			src := newSource(b, Config{URL: serve(b, srv), InputName: "x", Concurrency: c})
			x := batch32(inputs(rows))
			work := make(chan struct{}, b.N)
			for i := 0; i < b.N; i++ {
				work <- struct{}{}
			}
			close(work)
			b.ResetTimer()
			var wg sync.WaitGroup
			for g := 0; g < callers; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						if _, err := src.Query(context.Background(), x); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
