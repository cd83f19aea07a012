// Package config reads the arthost YAML file that names estimators:
//
//	estimators:
//	  cnn:
//	    plugin: onnx
//	    model: models/cnn.onnx        # relative to the file's folder
//	    options: {output: logits}     # passed to the plugin's Load
//	    clip_values: [0, 1]           # scalars, or two per-feature lists
//	    preprocessing: {subtrahend: 0.5, divisor: 0.25}
//	default: cnn
//
// Unknown keys, missing references and invalid values are refused with the
// file, the key path and the reason.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// File is a parsed configuration.
type File struct {
	Path       string
	Estimators map[string]*Estimator
	Default    string
}

// Estimator is one named entry.
type Estimator struct {
	Name   string
	Plugin string
	// Model is the model path, resolved against the config file's folder.
	Model   string
	Options map[string]string
	// ClipMin and ClipMax hold clip_values: one value each or per feature.
	ClipMin, ClipMax []float64
	// Subtrahend and Divisor hold preprocessing.
	Subtrahend, Divisor []float64
	BatchSize           int
}

// Error locates a problem in a config file.
type Error struct {
	File, Path, Reason string
	Line               int
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Path != "" {
		return fmt.Sprintf("config %s: %s: %s", loc, e.Path, e.Reason)
	}
	return fmt.Sprintf("config %s: %s", loc, e.Reason)
}

// Load reads and validates a config file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse validates data as the config file at path (used to resolve
// relative model paths and in messages).
func Parse(path string, data []byte) (*File, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err == io.EOF {
		return nil, &Error{File: path, Reason: "empty file"}
	} else if err != nil {
		return nil, &Error{File: path, Reason: "not valid YAML: " + err.Error()}
	}
	p := parser{file: path, dir: filepath.Dir(path)}
	f, err := p.parseFile(&root)
	if err != nil {
		return nil, err
	}
	return f, nil
}

type parser struct {
	file, dir string
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: p.file, Path: path, Line: line, Reason: fmt.Sprintf(format, args...)}
}

// mapping returns the key/value pairs of a mapping node, refusing keys not
// in allowed and duplicates.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, path, "want a mapping, got %s", kindName(n))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if allowed != nil && !contains(allowed, k.Value) {
			return nil, p.errorf(k, join(path, k.Value), "unknown key (allowed: %v)", allowed)
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.errorf(k, join(path, k.Value), "duplicate key")
		}
		out[k.Value] = v
	}
	return out, nil
}

func (p *parser) parseFile(root *yaml.Node) (*File, error) {
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, p.errorf(nil, "", "empty file")
	}
	top, err := p.mapping(root.Content[0], "", "estimators", "default")
	if err != nil {
		return nil, err
	}
	f := &File{Path: p.file, Estimators: map[string]*Estimator{}}
	ests, ok := top["estimators"]
	if !ok {
		return nil, p.errorf(root.Content[0], "estimators", "missing: the file must define at least one estimator")
	}
	entries, err := p.mapping(ests, "estimators")
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, p.errorf(ests, "estimators", "no estimators defined")
	}
	for name, n := range entries {
		e, err := p.estimator(name, n)
		if err != nil {
			return nil, err
		}
		f.Estimators[name] = e
	}
	if d, ok := top["default"]; ok {
		if d.Kind != yaml.ScalarNode {
			return nil, p.errorf(d, "default", "want an estimator name")
		}
		if _, ok := f.Estimators[d.Value]; !ok {
			return nil, p.errorf(d, "default", "no estimator named %q (have %v)", d.Value, f.Names())
		}
		f.Default = d.Value
	}
	return f, nil
}

func (p *parser) estimator(name string, n *yaml.Node) (*Estimator, error) {
	path := "estimators." + name
	m, err := p.mapping(n, path, "plugin", "model", "options", "clip_values", "preprocessing", "batch_size")
	if err != nil {
		return nil, err
	}
	e := &Estimator{Name: name, Options: map[string]string{}}
	pl, ok := m["plugin"]
	if !ok || pl.Kind != yaml.ScalarNode || pl.Value == "" {
		return nil, p.errorf(n, join(path, "plugin"), "missing: name the plugin that runs this estimator")
	}
	e.Plugin = pl.Value
	if mn, ok := m["model"]; ok {
		if mn.Kind != yaml.ScalarNode || mn.Value == "" {
			return nil, p.errorf(mn, join(path, "model"), "want a path")
		}
		e.Model = mn.Value
		if !filepath.IsAbs(e.Model) {
			e.Model = filepath.Join(p.dir, e.Model)
		}
	}
	if on, ok := m["options"]; ok {
		opts, err := p.mapping(on, join(path, "options"))
		if err != nil {
			return nil, err
		}
		for k, v := range opts {
			if v.Kind != yaml.ScalarNode {
				return nil, p.errorf(v, join(path, "options."+k), "want a scalar value")
			}
			e.Options[k] = v.Value
		}
	}
	if cn, ok := m["clip_values"]; ok {
		if e.ClipMin, e.ClipMax, err = p.clipValues(cn, join(path, "clip_values")); err != nil {
			return nil, err
		}
	}
	if pn, ok := m["preprocessing"]; ok {
		pm, err := p.mapping(pn, join(path, "preprocessing"), "subtrahend", "divisor")
		if err != nil {
			return nil, err
		}
		if s, ok := pm["subtrahend"]; ok {
			if e.Subtrahend, err = p.numbers(s, join(path, "preprocessing.subtrahend")); err != nil {
				return nil, err
			}
		}
		if d, ok := pm["divisor"]; ok {
			if e.Divisor, err = p.numbers(d, join(path, "preprocessing.divisor")); err != nil {
				return nil, err
			}
			for i, v := range e.Divisor {
				if v == 0 {
					return nil, p.errorf(d, join(path, "preprocessing.divisor"), "value %d is 0", i)
				}
			}
		}
	}
	if bn, ok := m["batch_size"]; ok {
		b, err := strconv.Atoi(bn.Value)
		if err != nil || b <= 0 {
			return nil, p.errorf(bn, join(path, "batch_size"), "want a positive integer, got %q", bn.Value)
		}
		e.BatchSize = b
	}
	return e, nil
}

// clipValues reads [min, max] or [[min...], [max...]].
func (p *parser) clipValues(n *yaml.Node, path string) ([]float64, []float64, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return nil, nil, p.errorf(n, path, "want [min, max] or [[min per feature], [max per feature]]")
	}
	lo, err := p.numbers(n.Content[0], path+"[0]")
	if err != nil {
		return nil, nil, err
	}
	hi, err := p.numbers(n.Content[1], path+"[1]")
	if err != nil {
		return nil, nil, err
	}
	if len(lo) != len(hi) {
		return nil, nil, p.errorf(n, path, "%d minima and %d maxima", len(lo), len(hi))
	}
	for i := range lo {
		if !(lo[i] < hi[i]) {
			return nil, nil, p.errorf(n, path, "min %v is not below max %v at %d", lo[i], hi[i], i)
		}
	}
	return lo, hi, nil
}

// numbers reads a scalar number or a list of numbers.
func (p *parser) numbers(n *yaml.Node, path string) ([]float64, error) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			return nil, p.errorf(n, path, "empty list")
		}
	}
	out := make([]float64, len(items))
	for i, it := range items {
		if it.Kind != yaml.ScalarNode {
			return nil, p.errorf(it, path, "want a number")
		}
		v, err := strconv.ParseFloat(it.Value, 64)
		if err != nil || v != v {
			return nil, p.errorf(it, path, "%q is not a number", it.Value)
		}
		out[i] = v
	}
	return out, nil
}

// Names returns the estimator names, sorted.
func (f *File) Names() []string {
	var out []string
	for n := range f.Estimators {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Select returns the named estimator, or the default when name is empty
// (or the only one when there is no default).
func (f *File) Select(name string) (*Estimator, error) {
	if name == "" {
		name = f.Default
	}
	if name == "" {
		if len(f.Estimators) == 1 {
			for _, e := range f.Estimators {
				return e, nil
			}
		}
		return nil, errors.New("config " + f.Path + ": several estimators and no default; choose one with --estimator")
	}
	e, ok := f.Estimators[name]
	if !ok {
		return nil, fmt.Errorf("config %s: no estimator named %q (have %v)", f.Path, name, f.Names())
	}
	return e, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}
