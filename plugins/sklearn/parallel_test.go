package main

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// TestParallelRows checks that every row is covered exactly once, by
// non-empty ranges (one empty range for no rows), for batch sizes around
// the limits.
func TestParallelRows(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 7, 63, 64, 127, 128, 129, 1000, 1001, 4099} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			seen := make([]atomic.Int32, n)
			parallelRows(n, func(lo, hi int) {
				if lo < 0 || hi > n || lo > hi || (lo == hi && n > 0) {
					t.Errorf("range [%d,%d) of %d", lo, hi, n)
					return
				}
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("row %d covered %d times", i, c)
				}
			}
		})
	}
}

// TestParallelRowsPanic checks that a panic in any range reaches the
// caller.
func TestParallelRowsPanic(t *testing.T) {
	t.Parallel()
	for _, at := range []int{0, 500, 999} {
		t.Run(fmt.Sprintf("row=%d", at), func(t *testing.T) {
			defer func() {
				if r := recover(); r != "boom" {
					t.Errorf("recovered %v, want boom", r)
				}
			}()
			parallelRows(1000, func(lo, hi int) {
				if lo <= at && at < hi {
					panic("boom")
				}
			})
		})
	}
}
