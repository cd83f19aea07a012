package main

import (
	"fmt"

	"github.com/arthost/arthost/plugins/gp/internal/gpc"
	"github.com/arthost/arthost/plugins/gp/internal/kernel"
	"github.com/arthost/arthost/sdk"
)

// defaultMaxTrain refuses training sets whose n x n kernel matrices and
// O(n^3) factorisations would not fit a plugin process: 5000 rows is about
// 200 MB per matrix and a few seconds per Cholesky factorisation.
const defaultMaxTrain = 5000

// settings are the parsed options (the --opt contract, see README.md).
type settings struct {
	family      kernel.Family
	lengthscale []float64
	ard         bool
	variance    float64
	constant    float64
	white       float64
	inference   gpc.Inference
	optimize    bool
	restarts    int
	maxTrain    int
	seed        int
	fdGradient  bool
	nbFeatures  int // declared input features before the first fit; 0 = unknown
}

// parseSettings reads every option from opts over the defaults in base and
// reports unknown keys and bad values.
func parseSettings(opts *sdk.Options, base settings) (settings, error) {
	s := base
	fam := opts.Enum("kernel", s.family.String(), "rbf", "matern32", "matern52")
	s.lengthscale = opts.Floats("lengthscale", s.lengthscale)
	s.ard = opts.Bool("ard", s.ard)
	s.variance = opts.Float("variance", s.variance)
	s.constant = opts.Float("constant", s.constant)
	s.white = opts.Float("white", s.white)
	s.inference = gpc.Inference(opts.Enum("inference", string(s.inference), "laplace", "ep"))
	s.optimize = opts.Bool("optimize", s.optimize)
	s.restarts = opts.Int("restarts", s.restarts)
	s.maxTrain = opts.Int("max_train", s.maxTrain)
	s.seed = opts.Int("seed", s.seed)
	s.nbFeatures = opts.Int("nb_features", s.nbFeatures)
	grad := "analytic"
	if s.fdGradient {
		grad = "finite-difference"
	}
	s.fdGradient = opts.Enum("gradient", grad, "analytic", "finite-difference") == "finite-difference"
	if err := opts.Err(); err != nil {
		return s, err
	}
	var err error
	if s.family, err = kernel.ParseFamily(fam); err != nil {
		return s, sdk.InvalidArgumentf("gp: option kernel: %v", err)
	}
	switch {
	case len(s.lengthscale) > 1 && !s.ard:
		return s, sdk.InvalidArgumentf("gp: option lengthscale has %d values: per-feature lengthscales need ard=true", len(s.lengthscale))
	case s.restarts < 0:
		return s, sdk.InvalidArgumentf("gp: option restarts=%d must not be negative", s.restarts)
	case s.maxTrain < 2:
		return s, sdk.InvalidArgumentf("gp: option max_train=%d must be at least 2", s.maxTrain)
	case s.nbFeatures < 0:
		return s, sdk.InvalidArgumentf("gp: option nb_features=%d must not be negative", s.nbFeatures)
	case s.seed < 0:
		return s, sdk.InvalidArgumentf("gp: option seed=%d must not be negative", s.seed)
	}
	k := kernel.Kernel{Family: s.family, Variance: s.variance, Lengthscale: s.lengthscale, Constant: s.constant, White: s.white}
	if err := k.Validate(0); err != nil {
		return s, sdk.InvalidArgumentf("gp: options: %v", err)
	}
	return s, nil
}

func defaultSettings() settings {
	return settings{
		family: kernel.RBF, lengthscale: []float64{1}, variance: 1,
		inference: gpc.Laplace, optimize: true, maxTrain: defaultMaxTrain,
	}
}

// kernelFor returns the starting kernel for d features: an ARD kernel with
// one lengthscale is expanded to d copies.
func (s settings) kernelFor(d int) (kernel.Kernel, error) {
	ls := append([]float64(nil), s.lengthscale...)
	if s.ard && len(ls) == 1 {
		for len(ls) < d {
			ls = append(ls, ls[0])
		}
	}
	k := kernel.Kernel{Family: s.family, Variance: s.variance, Lengthscale: ls, Constant: s.constant, White: s.white}
	if err := k.Validate(d); err != nil {
		return k, fmt.Errorf("option lengthscale: %w", err)
	}
	return k, nil
}

// withModelKernel makes a loaded model's inference and kernel (of its first
// classifier) the defaults for later fits, except for the kernel options
// the user gave explicitly (raw).
func withModelKernel(s settings, raw map[string]string, m *gpc.Model) settings {
	s.inference = m.Inference
	k := m.Bins[0].Kernel
	given := func(key string) bool { _, ok := raw[key]; return ok }
	if !given("kernel") {
		s.family = k.Family
	}
	if !given("variance") {
		s.variance = k.Variance
	}
	if !given("lengthscale") && !given("ard") {
		s.lengthscale = append([]float64(nil), k.Lengthscale...)
		s.ard = len(k.Lengthscale) > 1
	}
	if !given("constant") {
		s.constant = k.Constant
	}
	if !given("white") {
		s.white = k.White
	}
	return s
}
