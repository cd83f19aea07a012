// Command softmaxcmd is a prediction program for the black-box plugin's
// command source tests: a softmax regression whose weights come from the
// command line, reading .npy batches on stdin and answering .npy arrays on
// stdout, with switches that make it misbehave on purpose.
//
// It reads and writes with npyio directly, independently of the plugin's
// own codec.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"codeberg.org/sbinet/npyio"
	"gonum.org/v1/gonum/mat"
)

func main() {
	var (
		wFlag     = flag.String("w", "", "weights, K*D comma-separated, row-major")
		bFlag     = flag.String("b", "", "biases, K comma-separated")
		oneshot   = flag.Bool("oneshot", false, "answer one batch, then exit")
		labels    = flag.Bool("labels", false, "answer class labels (n,) int64")
		crashOn   = flag.Float64("crash-on", math.NaN(), "die mid-answer when a row starts with this value")
		crashOnce = flag.String("crash-once", "", "die mid-answer on the first batch if this file does not exist (and create it)")
		garbage   = flag.Bool("garbage", false, "answer text instead of an array")
		hang      = flag.Bool("hang", false, "never answer")
		closeOut  = flag.Bool("close-stdout", false, "close stdout instead of answering, then keep running")
	)
	flag.Parse()
	b := floats(*bFlag)
	k := len(b)
	w := floats(*wFlag)
	if k == 0 || len(w)%k != 0 {
		fail("need -b with K values and -w with K*D values")
	}
	d := len(w) / k
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	for batch := 0; ; batch++ {
		x, n, err := readBatch(in, d)
		if err == io.EOF {
			return
		}
		if err != nil {
			fail(err.Error())
		}
		fmt.Fprintf(os.Stderr, "batch %d: %d rows\n", batch, n)
		switch {
		case *hang:
			time.Sleep(time.Hour)
		case *garbage:
			out.WriteString("this is not an array\n")
			out.Flush()
			continue
		case *closeOut:
			os.Stdout.Close()
			time.Sleep(time.Hour)
		}
		crash := *crashOn == *crashOn && anyRowStarts(x, n, d, *crashOn)
		if *crashOnce != "" {
			if _, err := os.Stat(*crashOnce); err != nil {
				os.WriteFile(*crashOnce, nil, 0o600)
				crash = true
			}
		}
		if crash {
			out.Write(npyio.Magic[:]) // half an answer, then die
			out.Flush()
			fmt.Fprintln(os.Stderr, "crashing on purpose")
			os.Exit(3)
		}
		if *labels {
			y := make([]int64, n)
			for i := 0; i < n; i++ {
				p := probs(w, b, x[i*d:(i+1)*d])
				for c := range p {
					if p[c] > p[y[i]] {
						y[i] = int64(c)
					}
				}
			}
			check(npyio.Write(out, y))
		} else {
			y := mat.NewDense(n, k, nil)
			for i := 0; i < n; i++ {
				y.SetRow(i, probs(w, b, x[i*d:(i+1)*d]))
			}
			check(npyio.Write(out, y))
		}
		check(out.Flush())
		if *oneshot {
			return
		}
	}
}

// readBatch reads one (n, d) float32 or float64 array.
func readBatch(r *bufio.Reader, d int) ([]float64, int, error) {
	if _, err := r.Peek(1); err == io.EOF {
		return nil, 0, io.EOF
	}
	nr, err := npyio.NewReader(r)
	if err != nil {
		return nil, 0, err
	}
	shape := nr.Header.Descr.Shape
	if len(shape) != 2 || shape[1] != d {
		return nil, 0, fmt.Errorf("batch shape %v, want (n, %d)", shape, d)
	}
	var x []float64
	switch nr.Header.Descr.Type {
	case "'<f8'", "<f8":
		err = nr.Read(&x)
	case "'<f4'", "<f4":
		var x32 []float32
		err = nr.Read(&x32)
		for _, v := range x32 {
			x = append(x, float64(v))
		}
	default:
		err = fmt.Errorf("dtype %s", nr.Header.Descr.Type)
	}
	return x, shape[0], err
}

func probs(w, b, x []float64) []float64 {
	k, d := len(b), len(x)
	z := make([]float64, k)
	mx := math.Inf(-1)
	for c := range z {
		z[c] = b[c]
		for j := 0; j < d; j++ {
			z[c] += w[c*d+j] * x[j]
		}
		mx = math.Max(mx, z[c])
	}
	s := 0.0
	for c := range z {
		z[c] = math.Exp(z[c] - mx)
		s += z[c]
	}
	for c := range z {
		z[c] /= s
	}
	return z
}

func anyRowStarts(x []float64, n, d int, v float64) bool {
	for i := 0; i < n; i++ {
		if x[i*d] == v {
			return true
		}
	}
	return false
}

func floats(s string) []float64 {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		check(err)
		out = append(out, v)
	}
	return out
}

func check(err error) {
	if err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "softmaxcmd:", msg)
	os.Exit(2)
}
