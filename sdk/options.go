package sdk

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options are the key=value settings a user passes to Load or Fit. The
// getters parse a value, return the default when the key is absent, and
// record the key as known; Err reports the first parse failure or any key
// no getter asked for, so a misspelt option is an error, not ignored.
type Options struct {
	values map[string]string
	known  map[string]bool
	err    error
}

// NewOptions wraps raw key=value pairs.
func NewOptions(values map[string]string) *Options {
	if values == nil {
		values = map[string]string{}
	}
	return &Options{values: values, known: map[string]bool{}}
}

// init makes a zero Options usable.
func (o *Options) init() {
	if o.values == nil {
		o.values = map[string]string{}
	}
	if o.known == nil {
		o.known = map[string]bool{}
	}
}

// Raw returns the unparsed map (for logging or passing on). Do not modify.
func (o *Options) Raw() map[string]string {
	o.init()
	return o.values
}

// Has reports whether key was given.
func (o *Options) Has(key string) bool {
	o.init()
	o.known[key] = true
	_, ok := o.values[key]
	return ok
}

func (o *Options) fail(key, v, want string, err error) {
	if o.err == nil {
		o.err = InvalidArgumentf("option %s=%q: want %s: %v", key, v, want, err)
	}
}

// String returns the value of key, or def.
func (o *Options) String(key, def string) string {
	o.init()
	o.known[key] = true
	if v, ok := o.values[key]; ok {
		return v
	}
	return def
}

// Enum returns the value of key, which must be one of allowed, or def.
func (o *Options) Enum(key, def string, allowed ...string) string {
	v := o.String(key, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	if o.err == nil {
		o.err = InvalidArgumentf("option %s=%q: want one of %s", key, v, strings.Join(allowed, "|"))
	}
	return def
}

// Int returns key parsed as an integer, or def.
func (o *Options) Int(key string, def int) int {
	o.init()
	v, ok := o.values[key]
	o.known[key] = true
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		o.fail(key, v, "an integer", err)
		return def
	}
	return n
}

// Float returns key parsed as a float64, or def. NaN and infinities are refused.
func (o *Options) Float(key string, def float64) float64 {
	o.init()
	v, ok := o.values[key]
	o.known[key] = true
	if !ok {
		return def
	}
	f, err := parseFinite(v)
	if err != nil {
		o.fail(key, v, "a finite number", err)
		return def
	}
	return f
}

// Floats returns key parsed as comma-separated float64 values, or def.
func (o *Options) Floats(key string, def []float64) []float64 {
	o.init()
	v, ok := o.values[key]
	o.known[key] = true
	if !ok {
		return def
	}
	var out []float64
	for _, part := range strings.Split(v, ",") {
		f, err := parseFinite(part)
		if err != nil {
			o.fail(key, v, "comma-separated finite numbers", err)
			return def
		}
		out = append(out, f)
	}
	return out
}

// Ints returns key parsed as comma-separated integers, or def.
func (o *Options) Ints(key string, def []int) []int {
	o.init()
	v, ok := o.values[key]
	o.known[key] = true
	if !ok {
		return def
	}
	var out []int
	for _, part := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			o.fail(key, v, "comma-separated integers", err)
			return def
		}
		out = append(out, n)
	}
	return out
}

// Bool returns key parsed as a boolean (true/false/1/0), or def.
func (o *Options) Bool(key string, def bool) bool {
	o.init()
	v, ok := o.values[key]
	o.known[key] = true
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		o.fail(key, v, "true or false", err)
		return def
	}
	return b
}

// Duration returns key parsed as a Go duration ("500ms", "2s"), or def.
func (o *Options) Duration(key string, def time.Duration) time.Duration {
	o.init()
	v, ok := o.values[key]
	o.known[key] = true
	if !ok {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		o.fail(key, v, "a non-negative duration such as 2s", err)
		return def
	}
	return d
}

// Prefixed returns the keys beginning with prefix (for example "header.")
// with the prefix removed, and marks them known.
func (o *Options) Prefixed(prefix string) map[string]string {
	o.init()
	out := map[string]string{}
	for k, v := range o.values {
		if strings.HasPrefix(k, prefix) {
			o.known[k] = true
			out[strings.TrimPrefix(k, prefix)] = v
		}
	}
	return out
}

// Err returns the first invalid value, or names the options no getter
// asked for. Call it after reading every option.
func (o *Options) Err() error {
	o.init()
	if o.err != nil {
		return o.err
	}
	var unknown []string
	for k := range o.values {
		if !o.known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		var known []string
		for k := range o.known {
			known = append(known, k)
		}
		sort.Strings(known)
		return InvalidArgumentf("unknown option %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return nil
}

func parseFinite(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if f != f || f > 1.7976931348623157e308 || f < -1.7976931348623157e308 {
		return 0, fmt.Errorf("not finite")
	}
	return f, nil
}
