package python

import (
	"testing"
	"time"
)

// BenchmarkStartup measures spawn to first answer: remote.Start launches
// the plugin, completes the handshake and gets the answer to Load. Close
// is not timed. Run: go test -run '^$' -bench Startup -benchtime 5x -count 5
func BenchmarkStartup(b *testing.B) {
	need(b)
	for _, p := range []struct{ name, plugin string }{{"go", ""}, {"python", launcher}} {
		for _, mtls := range []bool{true, false} {
			name := p.name + "/plain"
			if mtls {
				name = p.name + "/automtls"
			}
			b.Run(name, func(b *testing.B) {
				path, plugin := p.plugin, "pysoftmax"
				if path == "" {
					path, plugin = goPlugin, "linear"
				}
				var total time.Duration
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					e := start(b, plugin, path, smallModel, !mtls, nil)
					total += time.Since(t0)
					b.StopTimer()
					e.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/start")
			})
		}
	}
}
