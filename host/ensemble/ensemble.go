// Package ensemble combines estimators from any plugins into one: a
// weighted sum of the members' outputs and gradients, as ART's
// EnsembleClassifier does, but accepting any member (an ONNX network next to
// a scikit-learn SVC, a Gaussian process and a remote black box). Members
// are called concurrently. A member without gradients is handled by an
// explicit policy; a member that fails is handled by another.
package ensemble

import (
	"fmt"
	"math"
	"sync"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/host/supervise"
	"github.com/arthost/arthost/shared/tensor"
)

// GradientPolicy says what to do with members that have no gradients.
type GradientPolicy string

// Gradient policies.
const (
	// GradientFail refuses gradients unless every member has them.
	GradientFail GradientPolicy = "fail"
	// GradientSkip leaves gradient-less members out of gradients and
	// renormalises the other members' weights.
	GradientSkip GradientPolicy = "skip"
	// GradientEstimate estimates a gradient-less member's gradient from
	// queries (antithetic Gaussian sampling), counting the queries.
	GradientEstimate GradientPolicy = "estimate"
)

// FailurePolicy says what to do when a member's call fails.
type FailurePolicy string

// Member-failure policies.
const (
	// FailureFail fails the ensemble's call.
	FailureFail FailurePolicy = "fail"
	// FailureDegrade answers from the surviving members with their weights
	// renormalised, logging which members were left out.
	FailureDegrade FailurePolicy = "degrade"
)

// Config configures an ensemble. Zero values are the defaults.
type Config struct {
	Name string
	// Weights, one per member; default 1/N each (ART's default).
	Weights        []float64
	GradientPolicy GradientPolicy
	MemberFailure  FailurePolicy
	// Estimate configures GradientEstimate: samples (antithetic pairs,
	// default 50), sigma (default 1e-3), seed (default 1).
	EstimateSamples int
	EstimateSigma   float64
	Seed            uint64
	Logger          hclog.Logger
}

// Ensemble is a weighted combination of estimators.
type Ensemble struct {
	members []host.Estimator
	cfg     Config
	desc    host.Description

	mu       sync.Mutex
	queries  int64    // spent by gradient estimates
	degraded []string // members left out of the last call
}

var _ host.Estimator = (*Ensemble)(nil)

// New checks that members agree on input shape and classes and builds the
// ensemble. It takes ownership: Close closes every member.
func New(members []host.Estimator, cfg Config) (*Ensemble, error) {
	if cfg.Name == "" {
		cfg.Name = "ensemble"
	}
	if len(members) == 0 {
		return nil, fmt.Errorf("ensemble %s: no members", cfg.Name)
	}
	if cfg.Weights == nil {
		for range members {
			cfg.Weights = append(cfg.Weights, 1/float64(len(members)))
		}
	}
	if len(cfg.Weights) != len(members) {
		return nil, fmt.Errorf("ensemble %s: %d weights for %d members", cfg.Name, len(cfg.Weights), len(members))
	}
	for i, w := range cfg.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return nil, fmt.Errorf("ensemble %s: weight %d is %v, want a finite non-negative number", cfg.Name, i, w)
		}
	}
	switch cfg.GradientPolicy {
	case "":
		cfg.GradientPolicy = GradientFail
	case GradientFail, GradientSkip, GradientEstimate:
	default:
		return nil, fmt.Errorf("ensemble %s: gradient_policy %q, want fail, skip or estimate", cfg.Name, cfg.GradientPolicy)
	}
	switch cfg.MemberFailure {
	case "":
		cfg.MemberFailure = FailureFail
	case FailureFail, FailureDegrade:
	default:
		return nil, fmt.Errorf("ensemble %s: member_failure %q, want fail or degrade", cfg.Name, cfg.MemberFailure)
	}
	if cfg.EstimateSamples <= 0 {
		cfg.EstimateSamples = 50
	}
	if cfg.EstimateSigma <= 0 {
		cfg.EstimateSigma = 1e-3
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	e := &Ensemble{members: members, cfg: cfg}
	d, err := e.describe()
	if err != nil {
		return nil, err
	}
	e.desc = d
	return e, nil
}

// describe merges the members' descriptions, refusing members that
// disagree on input shape or number of classes.
func (e *Ensemble) describe() (host.Description, error) {
	first := e.members[0].Describe()
	d := host.Description{
		Name: e.cfg.Name, Framework: "ensemble", InputShape: first.InputShape, NbClasses: first.NbClasses,
		ChannelsFirst: first.ChannelsFirst, ClipMin: first.ClipMin, ClipMax: first.ClipMax,
		NativeDType: first.NativeDType, Info: map[string]string{},
	}
	allLoss, allLG, allCG, anyLG, anyCG := true, true, true, false, false
	for i, m := range e.members {
		md := m.Describe()
		if md.NbClasses != first.NbClasses {
			return d, fmt.Errorf("ensemble %s: member %s has %d classes, member %s has %d", e.cfg.Name, md.Name, md.NbClasses, first.Name, first.NbClasses)
		}
		if !compatibleShapes(md.InputShape, first.InputShape) {
			return d, fmt.Errorf("ensemble %s: member %s takes input shape %v, member %s takes %v", e.cfg.Name, md.Name, md.InputShape, first.Name, first.InputShape)
		}
		if !equalFloats(md.ClipMin, d.ClipMin) || !equalFloats(md.ClipMax, d.ClipMax) {
			d.ClipMin, d.ClipMax = nil, nil // members disagree: the ensemble's config must set them
		}
		c := md.Capabilities
		allLoss = allLoss && c.Loss
		allLG, anyLG = allLG && c.LossGradient, anyLG || c.LossGradient
		allCG, anyCG = allCG && c.ClassGradient, anyCG || c.ClassGradient
		d.Capabilities.GradientsEstimated = d.Capabilities.GradientsEstimated || c.GradientsEstimated
		d.Info[fmt.Sprintf("member.%d", i)] = fmt.Sprintf("%s (weight %g, plugin %s)", md.Name, e.cfg.Weights[i], md.Plugin)
	}
	d.Capabilities.Loss = allLoss
	switch e.cfg.GradientPolicy {
	case GradientFail:
		d.Capabilities.LossGradient, d.Capabilities.ClassGradient = allLG, allCG
	case GradientSkip:
		d.Capabilities.LossGradient, d.Capabilities.ClassGradient = anyLG, anyCG
	case GradientEstimate:
		d.Capabilities.LossGradient, d.Capabilities.ClassGradient = true, true
		d.Capabilities.GradientsEstimated = d.Capabilities.GradientsEstimated || !allLG || !allCG
	}
	d.Info["gradient_policy"] = string(e.cfg.GradientPolicy)
	d.Info["member_failure"] = string(e.cfg.MemberFailure)
	return d, nil
}

func compatibleShapes(a, b []int) bool {
	if a == nil || b == nil {
		return true
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && a[i] != -1 && b[i] != -1 {
			return false
		}
	}
	return true
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Describe returns the merged description; Info lists members and policies.
func (e *Ensemble) Describe() host.Description {
	d := e.desc
	info := make(map[string]string, len(d.Info)+2)
	for k, v := range d.Info {
		info[k] = v
	}
	e.mu.Lock()
	info["estimate_queries"] = fmt.Sprint(e.queries)
	e.mu.Unlock()
	d.Info = info
	return d
}

// Members returns the member estimators in order.
func (e *Ensemble) Members() []host.Estimator { return e.members }

// Degraded lists the members left out of the last call under the degrade
// policy (empty when all answered).
func (e *Ensemble) Degraded() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.degraded...)
}

// Close closes every member.
func (e *Ensemble) Close() error {
	var first error
	for _, m := range e.members {
		if err := m.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (e *Ensemble) errorf(method string, code codes.Code, format string, args ...any) error {
	return host.Errorf(e.cfg.Name, method, code, format, args...)
}

// fanOut calls f for the chosen members concurrently. Under the degrade
// policy a failing member is dropped (and logged) as long as one answers;
// the returned mask says which members answered.
func (e *Ensemble) fanOut(method string, which []int, f func(i int, m host.Estimator) (tensor.Tensor, error)) ([]tensor.Tensor, []bool, error) {
	out := make([]tensor.Tensor, len(e.members))
	errs := make([]error, len(e.members))
	var wg sync.WaitGroup
	for _, i := range which {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = f(i, e.members[i])
		}()
	}
	wg.Wait()
	ok := make([]bool, len(e.members))
	var dropped []string
	answered := 0
	for _, i := range which {
		if errs[i] == nil {
			ok[i] = true
			answered++
			continue
		}
		if e.cfg.MemberFailure != FailureDegrade || !supervise.MemberFailure(errs[i]) {
			return nil, nil, fmt.Errorf("%s %s: member %s: %w", e.cfg.Name, method, e.members[i].Describe().Name, errs[i])
		}
		dropped = append(dropped, e.members[i].Describe().Name)
		e.cfg.Logger.Warn("ensemble member left out", "ensemble", e.cfg.Name, "method", method, "member", e.members[i].Describe().Name, "error", errs[i])
	}
	e.mu.Lock()
	e.degraded = dropped
	e.mu.Unlock()
	if answered == 0 {
		return nil, nil, e.errorf(method, codes.Unavailable, "no member answered (left out: %v)", dropped)
	}
	return out, ok, nil
}

func all(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// weightsFor returns the weights of the members in mask, renormalised to
// the total weight of all members when some are missing.
func (e *Ensemble) weightsFor(mask []bool) []float64 {
	total, kept := 0.0, 0.0
	for i, w := range e.cfg.Weights {
		total += w
		if mask[i] {
			kept += w
		}
	}
	out := make([]float64, len(mask))
	for i, w := range e.cfg.Weights {
		if mask[i] && kept > 0 {
			out[i] = w * total / kept
		}
	}
	return out
}
