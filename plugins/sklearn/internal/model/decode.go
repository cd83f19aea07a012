package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Format and Version name the export format this package reads.
const (
	Format  = "arthost-sklearn"
	Version = 1
)

// Limits on what an export may declare, so a hostile file cannot make Load
// allocate without bound before the data itself has been read.
const (
	maxFeatures = 1 << 20
	maxClasses  = 1 << 16
	maxDepth    = 64 // nesting of pipelines and ensembles
)

// Export is a loaded export: the model plus the facts around it.
type Export struct {
	SklearnVersion string
	// Classes are sklearn's classes_ as they appeared in the JSON (numbers
	// or strings), in column order.
	Classes []any
	Model   Model
}

// Load parses and validates an export. Every error names the JSON path of
// the offending value.
func Load(data []byte) (*Export, error) {
	top, err := parseObject(data, "")
	if err != nil {
		return nil, err
	}
	var format string
	var version int
	if err := top.req("format", &format); err != nil {
		return nil, err
	}
	if format != Format {
		return nil, fmt.Errorf("format %q, want %q", format, Format)
	}
	if err := top.req("version", &version); err != nil {
		return nil, err
	}
	if version != Version {
		return nil, fmt.Errorf("format version %d not supported (this plugin reads version %d)", version, Version)
	}
	e := &Export{}
	var nf int
	if err := top.opt("sklearn_version", &e.SklearnVersion); err != nil {
		return nil, err
	}
	if err := top.req("n_features", &nf); err != nil {
		return nil, err
	}
	if nf < 1 || nf > maxFeatures {
		return nil, fmt.Errorf("n_features: %d out of range [1,%d]", nf, maxFeatures)
	}
	if err := top.req("classes", &e.Classes); err != nil {
		return nil, err
	}
	k := len(e.Classes)
	if k < 2 || k > maxClasses {
		return nil, fmt.Errorf("classes: %d classes, want 2 to %d", k, maxClasses)
	}
	for i, c := range e.Classes {
		switch c.(type) {
		case float64, string:
		default:
			return nil, fmt.Errorf("classes[%d]: %v is not a number or string", i, c)
		}
	}
	raw, err := top.raw("model")
	if err != nil {
		return nil, err
	}
	if err := top.done(); err != nil {
		return nil, err
	}
	m, err := decodeModel(raw, "model", shape{features: nf, classes: k}, 0)
	if err != nil {
		return nil, err
	}
	e.Model = m
	return e, nil
}

// shape is what a (sub)model must have: the ensemble or pipeline around it
// decides.
type shape struct{ features, classes int }

type decoder func(o *object, s shape, depth int) (Model, error)

// decoderFor returns the decoder of a model "type", or nil.
func decoderFor(typ string) decoder {
	switch typ {
	case "LogisticRegression":
		return decodeLogistic
	case "LinearSVC":
		return decodeLinearSVC
	case "SVC":
		return decodeSVC
	case "DecisionTreeClassifier", "ExtraTreeClassifier":
		return decodeTreeClassifier
	case "RandomForestClassifier", "ExtraTreesClassifier":
		return decodeForest
	case "BaggingClassifier":
		return decodeBagging
	case "AdaBoostClassifier":
		return decodeAdaBoost
	case "GradientBoostingClassifier":
		return decodeGradientBoosting
	case "GaussianNB":
		return decodeGaussianNB
	case "MLPClassifier":
		return decodeMLP
	case "Pipeline":
		return decodePipeline
	}
	return nil
}

// modelTypes lists the known "type" values, for error messages.
var modelTypes = []string{"AdaBoostClassifier", "BaggingClassifier", "DecisionTreeClassifier",
	"ExtraTreeClassifier", "ExtraTreesClassifier", "GaussianNB", "GradientBoostingClassifier",
	"LinearSVC", "LogisticRegression", "MLPClassifier", "Pipeline", "RandomForestClassifier", "SVC"}

func decodeModel(data json.RawMessage, path string, s shape, depth int) (Model, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: nested deeper than %d", path, maxDepth)
	}
	o, err := parseObject(data, path)
	if err != nil {
		return nil, err
	}
	var typ string
	if err := o.req("type", &typ); err != nil {
		return nil, err
	}
	dec := decoderFor(typ)
	if dec == nil {
		return nil, fmt.Errorf("%s.type: unknown model type %q (known: %s)", path, typ, strings.Join(modelTypes, ", "))
	}
	m, err := dec(o, s, depth)
	if err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return m, nil
}

// object is one JSON object being decoded field by field, so that missing
// and unknown fields are both errors.
type object struct {
	path   string
	fields map[string]json.RawMessage
	used   map[string]bool
}

func parseObject(data []byte, path string) (*object, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, jsonError(path, data, err)
	}
	if fields == nil {
		return nil, fmt.Errorf("%s: want an object, got null", where(path))
	}
	return &object{path: path, fields: fields, used: map[string]bool{}}, nil
}

func where(path string) string {
	if path == "" {
		return "export"
	}
	return path
}

func (o *object) key(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// raw returns a required field undecoded.
func (o *object) raw(k string) (json.RawMessage, error) {
	o.used[k] = true
	v, ok := o.fields[k]
	if !ok {
		return nil, fmt.Errorf("%s: missing", o.key(k))
	}
	return v, nil
}

// has reports whether field k is present and not null.
func (o *object) has(k string) bool {
	o.used[k] = true
	v, ok := o.fields[k]
	return ok && string(bytes.TrimSpace(v)) != "null"
}

// req decodes required field k into dst; null counts as missing.
func (o *object) req(k string, dst any) error {
	v, err := o.raw(k)
	if err != nil {
		return err
	}
	if string(bytes.TrimSpace(v)) == "null" {
		return fmt.Errorf("%s: missing (null)", o.key(k))
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return jsonError(o.key(k), v, err)
	}
	return nil
}

// opt decodes field k into dst when present and not null.
func (o *object) opt(k string, dst any) error {
	if !o.has(k) {
		return nil
	}
	return o.req(k, dst)
}

// done refuses fields no decoder asked for.
func (o *object) done() error {
	var unknown []string
	for k := range o.fields {
		if !o.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%s: unknown field %s", where(o.path), strings.Join(unknown, ", "))
	}
	return nil
}

func jsonError(path string, data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		hint := ""
		if bytes.Contains(data, []byte("NaN")) || bytes.Contains(data, []byte("Infinity")) {
			hint = " (NaN and Infinity are not allowed in an export)"
		}
		return fmt.Errorf("%s: invalid JSON at byte %d: %v%s", where(path), syn.Offset, err, hint)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("%s: JSON %s where %v is wanted", where(path), typ.Value, typ.Type)
	}
	return fmt.Errorf("%s: %v", where(path), err)
}

// Field checks shared by the families.

func checkFinite(path string, v []float64) error {
	for i, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s[%d]: %v is not finite", path, i, f)
		}
	}
	return nil
}

func checkLen(path string, got, want int) error {
	if got != want {
		return fmt.Errorf("%s: length %d, want %d", path, got, want)
	}
	return nil
}

// vector decodes a required float vector of length n (n < 0: any non-zero).
func (o *object) vector(k string, n int) ([]float64, error) {
	var v []float64
	if err := o.req(k, &v); err != nil {
		return nil, err
	}
	if n >= 0 {
		if err := checkLen(o.key(k), len(v), n); err != nil {
			return nil, err
		}
	} else if len(v) == 0 {
		return nil, fmt.Errorf("%s: empty", o.key(k))
	}
	return v, checkFinite(o.key(k), v)
}

// matrix decodes a required rows x cols float matrix (rows < 0: any
// non-zero) into one row-major slice.
func (o *object) matrix(k string, rows, cols int) ([]float64, int, error) {
	var m [][]float64
	if err := o.req(k, &m); err != nil {
		return nil, 0, err
	}
	return flatten(o.key(k), m, rows, cols)
}

func flatten(path string, m [][]float64, rows, cols int) ([]float64, int, error) {
	if rows >= 0 {
		if err := checkLen(path, len(m), rows); err != nil {
			return nil, 0, err
		}
	} else if len(m) == 0 {
		return nil, 0, fmt.Errorf("%s: empty", path)
	}
	out := make([]float64, 0, len(m)*cols)
	for i, row := range m {
		p := fmt.Sprintf("%s[%d]", path, i)
		if err := checkLen(p, len(row), cols); err != nil {
			return nil, 0, err
		}
		if err := checkFinite(p, row); err != nil {
			return nil, 0, err
		}
		out = append(out, row...)
	}
	return out, len(m), nil
}

// enum decodes a required string that must be one of allowed.
func (o *object) enum(k string, allowed ...string) (string, error) {
	var s string
	if err := o.req(k, &s); err != nil {
		return "", err
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", fmt.Errorf("%s: %q, want one of %s", o.key(k), s, strings.Join(allowed, ", "))
}

// rows2 turns a row-major slice back into [][]float64 for export.
func rows2(v []float64, cols int) [][]float64 {
	if cols == 0 {
		return nil
	}
	out := make([][]float64, len(v)/cols)
	for i := range out {
		out[i] = v[i*cols : (i+1)*cols]
	}
	return out
}
