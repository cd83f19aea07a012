package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/arthost/arthost/internal/npyfile"
	"github.com/arthost/arthost/internal/testbin"
	"github.com/arthost/arthost/shared/tensor"
)

// TestMain registers arthost and two array helpers as commands for the
// scripts in testdata/script. (testscript runs them by re-executing this
// test binary, so TestMain must not do any setup of its own.)
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"arthost": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) },
		"mknpy":   func() { os.Exit(mknpy()) },
		"npyshape": func() {
			t, err := npyfile.Read(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Printf("%v %v\n", t.DType, t.Shape)
		},
	})
}

// mknpy FILE DTYPE SHAPE VALUES... writes an array; SHAPE is comma
// separated, VALUES are repeated cyclically to fill it.
func mknpy() int {
	a := os.Args[1:]
	if len(a) < 4 {
		fmt.Fprintln(os.Stderr, "usage: mknpy FILE DTYPE SHAPE VALUES...")
		return 2
	}
	var shape []int
	for _, s := range strings.Split(a[2], ",") {
		n, _ := strconv.Atoi(s)
		shape = append(shape, n)
	}
	var dt tensor.DType
	switch a[1] {
	case "float32":
		dt = tensor.Float32
	case "float64":
		dt = tensor.Float64
	default:
		dt = tensor.Int64
	}
	t := tensor.New(dt, shape...)
	for i := 0; i < t.Len(); i++ {
		v, _ := strconv.ParseFloat(a[3+i%(len(a)-3)], 64)
		switch dt {
		case tensor.Float32:
			t.F32[i] = float32(v)
		case tensor.Float64:
			t.F64[i] = v
		default:
			t.I64[i] = int64(v)
		}
	}
	if err := npyfile.Write(a[0], t); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestScripts(t *testing.T) {
	pluginDir := t.TempDir()
	if _, err := testbin.Build(pluginDir, map[string]string{"arthost-plugin-linear": "examples/plugins/linear", "arthost-plugin-faulty": "examples/plugins/faulty"}); err != nil {
		t.Fatal(err)
	}
	model, err := filepath.Abs("../../examples/plugins/linear/testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("ARTHOST_PLUGIN_PATH", pluginDir)
			env.Setenv("MODEL", model)
			env.Setenv("OTHER", filepath.Join(filepath.Dir(model), "other.json"))
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
	})
}
