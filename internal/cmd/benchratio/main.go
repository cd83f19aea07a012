// Command benchratio reads `go test -bench` output and prints, for each
// benchmark measured on several sides (a sub-benchmark element such as
// side=remote and side=inprocess), the ratio of one side's time to the
// other's: the median over repeated runs (-count) with the spread.
//
//	go test -bench . -count 5 ./pkg | benchratio -num remote -den inprocess
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) MB/s)?`)

type key struct{ group, side string }

func main() {
	num := flag.String("num", "remote", "side in the numerator")
	den := flag.String("den", "inprocess", "side in the denominator")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *num, *den); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer, num, den string) error {
	times := map[key][]float64{}
	rates := map[key][]float64{}
	var groups []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		group, side := split(m[1])
		if side == "" {
			continue
		}
		k := key{group, side}
		ns, _ := strconv.ParseFloat(m[2], 64)
		times[k] = append(times[k], ns)
		if m[3] != "" {
			r, _ := strconv.ParseFloat(m[3], 64)
			rates[k] = append(rates[k], r)
		}
		if !seen[group] {
			seen[group] = true
			groups = append(groups, group)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%-44s %12s %12s %12s %22s\n", "benchmark", num, den, "added", num+"/"+den+" (min..max)")
	for _, g := range groups {
		a, b := times[key{g, num}], times[key{g, den}]
		if len(a) == 0 || len(b) == 0 {
			continue
		}
		ratios := pairRatios(a, b)
		fmt.Fprintf(out, "%-44s %12s %12s %12s %8.2fx (%.2f..%.2f)\n", g, dur(median(a)), dur(median(b)),
			dur(median(a)-median(b)), median(ratios), ratios[0], ratios[len(ratios)-1])
		if ra, rb := rates[key{g, num}], rates[key{g, den}]; len(ra) > 0 && len(rb) > 0 {
			fmt.Fprintf(out, "%-44s %7.2f GB/s %7.2f GB/s\n", "  throughput", median(ra)/1000, median(rb)/1000)
		}
	}
	return nil
}

// split separates the side element (side=NAME) from the rest of the name.
func split(name string) (group, side string) {
	parts := strings.Split(name, "/")
	var rest []string
	for _, p := range parts {
		if s, ok := strings.CutPrefix(p, "side="); ok {
			side = s
			continue
		}
		rest = append(rest, p)
	}
	return strings.Join(rest, "/"), side
}

// pairRatios divides run i of a by run i of b (runs interleave in time, so
// pairing them cancels some machine noise), sorted.
func pairRatios(a, b []float64) []float64 {
	n := min(len(a), len(b))
	r := make([]float64, n)
	for i := 0; i < n; i++ {
		r[i] = a[i] / b[i]
	}
	sort.Float64s(r)
	return r
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func dur(ns float64) string {
	if ns < 0 {
		return "-" + dur(-ns)
	}
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.3gs", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3gms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	}
	return fmt.Sprintf("%.3gns", ns)
}
