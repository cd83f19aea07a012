package sdk

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOptions(t *testing.T) {
	o := NewOptions(map[string]string{"n": "3", "f": "0.5", "fs": "1, 2,3", "b": "true", "d": "2s", "e": "ep", "header.X-Key": "s"})
	if got := o.Int("n", 0); got != 3 {
		t.Errorf("int %d", got)
	}
	if got := o.Float("f", 0); got != 0.5 {
		t.Errorf("float %v", got)
	}
	if diff := cmp.Diff([]float64{1, 2, 3}, o.Floats("fs", nil)); diff != "" {
		t.Error(diff)
	}
	if !o.Bool("b", false) || o.Duration("d", 0) != 2*time.Second || o.Enum("e", "laplace", "laplace", "ep") != "ep" {
		t.Error("bool, duration or enum")
	}
	if diff := cmp.Diff(map[string]string{"X-Key": "s"}, o.Prefixed("header.")); diff != "" {
		t.Error(diff)
	}
	if o.Int("absent", 7) != 7 {
		t.Error("default")
	}
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsErrors(t *testing.T) {
	cases := map[string]struct {
		values map[string]string
		read   func(*Options)
		want   string
	}{
		"unknown key":  {map[string]string{"colour": "red"}, func(o *Options) { o.Int("n", 1) }, "unknown option colour (known: n)"},
		"bad int":      {map[string]string{"n": "x"}, func(o *Options) { o.Int("n", 1) }, `option n="x": want an integer`},
		"NaN float":    {map[string]string{"f": "NaN"}, func(o *Options) { o.Float("f", 1) }, "want a finite number"},
		"bad enum":     {map[string]string{"e": "x"}, func(o *Options) { o.Enum("e", "a", "a", "b") }, "want one of a|b"},
		"bad bool":     {map[string]string{"b": "yes please"}, func(o *Options) { o.Bool("b", false) }, "want true or false"},
		"neg duration": {map[string]string{"d": "-1s"}, func(o *Options) { o.Duration("d", 0) }, "non-negative duration"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			o := NewOptions(c.values)
			c.read(o)
			if err := o.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestZeroOptions(t *testing.T) {
	var o Options
	if o.Int("n", 4) != 4 || o.Err() != nil {
		t.Fatal("zero Options must read defaults")
	}
}
