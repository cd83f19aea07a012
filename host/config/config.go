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
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/arthost/arthost/host/defences"
)

// File is a parsed configuration.
type File struct {
	Path       string
	Estimators map[string]*Estimator
	Default    string
}

// Estimator is one named entry: a plugin-backed model, or an ensemble of
// other entries. Either may carry defences, clip values and preprocessing.
type Estimator struct {
	Name string
	// Plugin names the plugin (empty for an ensemble).
	Plugin string
	// Ensemble is set for entries of kind ensemble.
	Ensemble *Ensemble
	// Pre and Post are the preprocessing and postprocessing defences in
	// the order they apply.
	Pre, Post []Defence
	// Model is the model path, resolved against the config file's folder.
	Model   string
	Options map[string]string
	// ClipMin and ClipMax hold clip_values: one value each or per feature.
	ClipMin, ClipMax []float64
	// Subtrahend and Divisor hold preprocessing.
	Subtrahend, Divisor []float64
	BatchSize           int
	// InputShape, when set, is the sample shape callers use; the host
	// reshapes it to the model's (same number of features).
	InputShape []int
}

// Ensemble combines other named entries.
type Ensemble struct {
	Members        []string
	Weights        []float64 // nil: 1/N each
	GradientPolicy string    // fail | skip | estimate ("" = fail)
	MemberFailure  string    // fail | degrade ("" = fail)
}

// Defence is one defence: ART's class name in snake_case and its
// parameters by ART's names, as YAML decoded them (numbers, strings,
// booleans, lists). Path locates it in the file for error messages.
type Defence struct {
	Name   string
	Params map[string]any
	Path   string
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
	if err := p.checkReferences(f); err != nil {
		return nil, err
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
	m, err := p.mapping(n, path, "plugin", "ensemble", "model", "options", "clip_values", "preprocessing", "batch_size", "defences", "input_shape")
	if err != nil {
		return nil, err
	}
	e := &Estimator{Name: name, Options: map[string]string{}}
	pl, hasPlugin := m["plugin"]
	en, hasEnsemble := m["ensemble"]
	switch {
	case hasPlugin && hasEnsemble:
		return nil, p.errorf(en, join(path, "ensemble"), "an entry is a plugin or an ensemble, not both")
	case hasEnsemble:
		if e.Ensemble, err = p.ensemble(en, join(path, "ensemble")); err != nil {
			return nil, err
		}
		for _, k := range []string{"model", "options", "batch_size"} {
			if v, ok := m[k]; ok {
				return nil, p.errorf(v, join(path, k), "goes with plugin entries, not ensembles")
			}
		}
	case !hasPlugin || pl.Kind != yaml.ScalarNode || pl.Value == "":
		return nil, p.errorf(n, join(path, "plugin"), "missing: name the plugin that runs this estimator (or make it an ensemble)")
	default:
		e.Plugin = pl.Value
	}
	if dn, ok := m["defences"]; ok {
		if e.Pre, e.Post, err = p.defences(dn, join(path, "defences")); err != nil {
			return nil, err
		}
	}
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
	if sn, ok := m["input_shape"]; ok {
		dims, err := p.numbers(sn, join(path, "input_shape"))
		if err != nil {
			return nil, err
		}
		for _, d := range dims {
			if d < 1 || d != float64(int(d)) {
				return nil, p.errorf(sn, join(path, "input_shape"), "want positive whole dimensions, got %v", dims)
			}
			e.InputShape = append(e.InputShape, int(d))
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

func (p *parser) ensemble(n *yaml.Node, path string) (*Ensemble, error) {
	m, err := p.mapping(n, path, "members", "weights", "gradient_policy", "member_failure")
	if err != nil {
		return nil, err
	}
	e := &Ensemble{}
	mn, ok := m["members"]
	if !ok || mn.Kind != yaml.SequenceNode || len(mn.Content) == 0 {
		return nil, p.errorf(n, join(path, "members"), "want a list of estimator names")
	}
	for _, it := range mn.Content {
		if it.Kind != yaml.ScalarNode || it.Value == "" {
			return nil, p.errorf(it, join(path, "members"), "want estimator names")
		}
		e.Members = append(e.Members, it.Value)
	}
	if wn, ok := m["weights"]; ok {
		if e.Weights, err = p.numbers(wn, join(path, "weights")); err != nil {
			return nil, err
		}
		if len(e.Weights) != len(e.Members) {
			return nil, p.errorf(wn, join(path, "weights"), "%d weights for %d members", len(e.Weights), len(e.Members))
		}
		for i, w := range e.Weights {
			if w < 0 {
				return nil, p.errorf(wn, join(path, "weights"), "weight %d is %v, want >= 0", i, w)
			}
		}
	}
	for key, allowed := range map[string][]string{"gradient_policy": {"fail", "skip", "estimate"}, "member_failure": {"fail", "degrade"}} {
		v, ok := m[key]
		if !ok {
			continue
		}
		if v.Kind != yaml.ScalarNode || !contains(allowed, v.Value) {
			return nil, p.errorf(v, join(path, key), "%q, want one of %v", v.Value, allowed)
		}
		if key == "gradient_policy" {
			e.GradientPolicy = v.Value
		} else {
			e.MemberFailure = v.Value
		}
	}
	return e, nil
}

// defences reads {pre: [{name: {params}}...], post: [...]}.
func (p *parser) defences(n *yaml.Node, path string) (pre, post []Defence, err error) {
	m, err := p.mapping(n, path, "pre", "post")
	if err != nil {
		return nil, nil, err
	}
	read := func(key string) ([]Defence, error) {
		ln, ok := m[key]
		if !ok {
			return nil, nil
		}
		lpath := join(path, key)
		if ln.Kind != yaml.SequenceNode {
			return nil, p.errorf(ln, lpath, "want a list of {defence_name: {parameters}}")
		}
		var out []Defence
		for i, it := range ln.Content {
			ipath := fmt.Sprintf("%s[%d]", lpath, i)
			dm, err := p.mapping(it, ipath)
			if err != nil {
				return nil, err
			}
			if len(dm) != 1 {
				return nil, p.errorf(it, ipath, "want exactly one defence name with its parameters")
			}
			for name, params := range dm {
				d := Defence{Name: name, Params: map[string]any{}, Path: join(ipath, name)}
				if params.Kind != yaml.ScalarNode || params.Tag != "!!null" {
					if params.Kind != yaml.MappingNode {
						return nil, p.errorf(params, d.Path, "want a mapping of parameters")
					}
					if err := params.Decode(&d.Params); err != nil {
						return nil, p.errorf(params, d.Path, "%v", err)
					}
				}
				if err := validate(key, d); err != nil {
					return nil, p.errorf(params, d.Path, "%v", err)
				}
				out = append(out, d)
			}
		}
		return out, nil
	}
	if pre, err = read("pre"); err != nil {
		return nil, nil, err
	}
	post, err = read("post")
	return pre, post, err
}

// validate builds the defence once so unknown names and invalid
// parameters are refused when the file is loaded, with their key path.
func validate(list string, d Defence) error {
	var err error
	if list == "pre" {
		_, err = defences.NewPreprocessor(d.Name, d.Params, defences.Defaults{})
	} else {
		_, err = defences.NewPostprocessor(d.Name, d.Params)
	}
	return err
}

// checkReferences refuses ensemble members that name no entry, and cycles.
func (p *parser) checkReferences(f *File) error {
	for _, name := range f.Names() {
		e := f.Estimators[name]
		if e.Ensemble == nil {
			continue
		}
		for _, m := range e.Ensemble.Members {
			if _, ok := f.Estimators[m]; !ok {
				return p.errorf(nil, "estimators."+name+".ensemble.members", "no estimator named %q (have %v)", m, f.Names())
			}
		}
	}
	state := map[string]int{} // 0 unvisited, 1 in progress, 2 done
	var visit func(name string, trail []string) error
	visit = func(name string, trail []string) error {
		switch state[name] {
		case 1:
			return p.errorf(nil, "estimators."+name+".ensemble.members", "cycle: %s", strings.Join(append(trail, name), " -> "))
		case 2:
			return nil
		}
		state[name] = 1
		if e := f.Estimators[name]; e.Ensemble != nil {
			for _, m := range e.Ensemble.Members {
				if err := visit(m, append(trail, name)); err != nil {
					return err
				}
			}
		}
		state[name] = 2
		return nil
	}
	for _, name := range f.Names() {
		if err := visit(name, nil); err != nil {
			return err
		}
	}
	return nil
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
