package main

import (
	"os"
	"testing"
)

// TestExporterRoundTrip checks exports made by fixtures/roundtrip.sh (fit,
// pickle, exporter command line) against scikit-learn's predictions. It
// runs only when ARTHOST_SKLEARN_ROUNDTRIP names that script's output.
func TestExporterRoundTrip(t *testing.T) {
	dir := os.Getenv("ARTHOST_SKLEARN_ROUNDTRIP")
	if dir == "" {
		t.Skip("ARTHOST_SKLEARN_ROUNDTRIP not set (run plugins/sklearn/fixtures/roundtrip.sh)")
	}
	fs := loadFixtures(t, dir)
	if len(fs) < 100 { // 103 exports
		t.Fatalf("only %d exports in %s", len(fs), dir)
	}
	for _, f := range fs {
		t.Run(f.name, func(t *testing.T) { checkFixture(t, f) })
	}
}
