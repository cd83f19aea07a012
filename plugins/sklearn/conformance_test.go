package main

import (
	"testing"

	"github.com/arthost/arthost/sdk/sdktest"
)

// TestConformance runs the SDK's contract checks on the estimator in
// process, over gRPC, for models of each kind.
func TestConformance(t *testing.T) {
	cases := []struct {
		model string
		cfg   sdktest.Config
	}{
		{"iris__pipe_std_lr", sdktest.Config{Fit: true, GradientTolerance: 1e-4}},
		{"iris__gaussian_nb", sdktest.Config{Fit: true, GradientTolerance: 1e-4}},
		{"iris__svc_rbf_prob", sdktest.Config{GradientTolerance: 1e-4}},
		{"breast_cancer__mlp_tanh", sdktest.Config{GradientTolerance: 1e-4}},
		{"iris__linear_svc", sdktest.Config{Options: map[string]string{"output": "decision"}, GradientTolerance: 1e-4}},
		{"iris__svc_poly", sdktest.Config{}},
		{"breast_cancer__random_forest", sdktest.Config{}},
		{"iris__gradient_boosting", sdktest.Config{}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			c.cfg.ModelPath = "testdata/models/" + c.model + ".json"
			sdktest.RunEstimator(t, newEstimator(), c.cfg)
		})
	}
}
