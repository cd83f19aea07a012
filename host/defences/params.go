package defences

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// params reads one defence's configuration mapping, as a YAML decoder
// produces it: numbers as int, int64, uint64 or float64, lists as []any.
// Each getter records its key as known and returns the default when the
// key is absent; err reports the first bad value or any unknown key.
type params struct {
	defence string
	values  map[string]any
	known   map[string]bool
	err     error
}

func newParams(defence string, values map[string]any) *params {
	if values == nil {
		values = map[string]any{}
	}
	return &params{defence: defence, values: values, known: map[string]bool{}}
}

func (p *params) failf(key, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: %s: %s", p.defence, key, fmt.Sprintf(format, args...))
	}
}

func (p *params) get(key string) (any, bool) {
	p.known[key] = true
	v, ok := p.values[key]
	return v, ok
}

// has reports whether key was given (and marks it known).
func (p *params) has(key string) bool {
	_, ok := p.get(key)
	return ok
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint:
		return float64(n), true
	}
	return 0, false
}

// float returns key as a finite number, or def.
func (p *params) float(key string, def float64) float64 {
	v, ok := p.get(key)
	if !ok {
		return def
	}
	f, ok := toFloat(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		p.failf(key, "want a finite number, got %#v", v)
		return def
	}
	return f
}

// int returns key as a whole number (an integer, or a float with no
// fraction), or def.
func (p *params) int(key string, def int) int {
	v, ok := p.get(key)
	if !ok {
		return def
	}
	f, ok := toFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		p.failf(key, "want an integer, got %#v", v)
		return def
	}
	return int(f)
}

func (p *params) bool(key string, def bool) bool {
	v, ok := p.get(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		p.failf(key, "want true or false, got %#v", v)
		return def
	}
	return b
}

func (p *params) enum(key, def string, allowed ...string) string {
	v, ok := p.get(key)
	if !ok {
		return def
	}
	if s, isString := v.(string); isString {
		for _, a := range allowed {
			if s == a {
				return s
			}
		}
	}
	p.failf(key, "want one of %s, got %#v", strings.Join(allowed, ", "), v)
	return def
}

// seed returns the seed parameter, or DefaultSeed.
func (p *params) seed() uint64 {
	s := p.int("seed", DefaultSeed)
	if s < 0 {
		p.failf("seed", "want a non-negative integer, got %d", s)
		return DefaultSeed
	}
	return uint64(s)
}

// check records a failure for key when ok is false.
func (p *params) check(ok bool, key, format string, args ...any) {
	if !ok {
		p.failf(key, format, args...)
	}
}

// done returns the first failure, or an error naming every key no getter
// asked for, with the accepted keys.
func (p *params) done() error {
	if p.err != nil {
		return p.err
	}
	var unknown, known []string
	for k := range p.values {
		if !p.known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	for k := range p.known {
		known = append(known, k)
	}
	sort.Strings(unknown)
	sort.Strings(known)
	return fmt.Errorf("%s: unknown parameter %q (known: %s)", p.defence, unknown[0], strings.Join(known, ", "))
}

// flags reads apply_fit and apply_predict.
func (p *params) flags(fit, predict bool) applyFlags {
	return applyFlags{fit: p.bool("apply_fit", fit), predict: p.bool("apply_predict", predict)}
}

// applyFlags holds a preprocessor's apply_fit and apply_predict.
type applyFlags struct{ fit, predict bool }

// ApplyFit reports whether the defence is applied when fitting.
func (f applyFlags) ApplyFit() bool { return f.fit }

// ApplyPredict reports whether the defence is applied when predicting and
// for gradients.
func (f applyFlags) ApplyPredict() bool { return f.predict }
