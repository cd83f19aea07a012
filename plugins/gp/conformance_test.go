package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/arthost/arthost/sdk/sdktest"
)

// TestConformance builds the plugin, saves a model fitted in process, and
// runs the SDK's contract checks against the plugin process loading it.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and launches the plugin")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the plugin")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "arthost-plugin-gp")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	f := loadFixture(t, "iris_rbf_opt")
	for _, inf := range []string{"laplace", "ep"} {
		t.Run(inf, func(t *testing.T) {
			e := fitted(t, map[string]string{"inference": inf, "optimize": "false"}, matrix(f.XTrain), f.YTrain, 3)
			model := filepath.Join(dir, inf+".json")
			if err := e.Save(context.Background(), model); err != nil {
				t.Fatal(err)
			}
			sdktest.RunPlugin(t, bin, sdktest.Config{ModelPath: model, GradientTolerance: 1e-4, Fit: true})
		})
	}
	t.Run("unfitted", func(t *testing.T) {
		sdktest.RunPlugin(t, bin, sdktest.Config{Options: map[string]string{"optimize": "false", "nb_features": "3"}, FitBeforeChecks: true, GradientTolerance: 1e-4})
	})
}
