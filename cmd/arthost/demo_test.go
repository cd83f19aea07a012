package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/arthost/arthost/internal/testbin"
)

// TestDemo runs `arthost demo` end to end with the real onnx, sklearn and
// gp plugins, checks the report files, and checks PGD at eps 0.2 breaks the
// bundled digits CNN (accuracy below 10%).
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs four estimators under two attacks")
	}
	bin := t.TempDir()
	if _, err := testbin.Build(bin, map[string]string{
		"arthost-plugin-onnx": "plugins/onnx", "arthost-plugin-sklearn": "plugins/sklearn", "arthost-plugin-gp": "plugins/gp",
	}); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "report")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--plugin-dir", bin, "demo", "--report", report}, &out, &errb); code != 0 {
		t.Fatalf("demo exited %d: %s", code, errb.String())
	}
	var rep struct {
		Estimators []struct {
			Name          string  `json:"name"`
			CleanAccuracy float64 `json:"clean_accuracy"`
			Attacks       []struct {
				Attack   string  `json:"attack"`
				Eps      float64 `json:"eps"`
				Accuracy float64 `json:"adversarial_accuracy"`
			} `json:"attacks"`
		} `json:"estimators"`
	}
	data, err := os.ReadFile(filepath.Join(report, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Estimators) != 4 {
		t.Fatalf("%d estimators in the report, want mix, cnn, svc, gp", len(rep.Estimators))
	}
	for _, e := range rep.Estimators {
		if e.CleanAccuracy < 0.8 {
			t.Errorf("%s: clean accuracy %.3f", e.Name, e.CleanAccuracy)
		}
		if len(e.Attacks) != 8 {
			t.Errorf("%s: %d attack results, want FGSM and PGD at 4 eps", e.Name, len(e.Attacks))
		}
		for _, a := range e.Attacks {
			if e.Name == "cnn" && a.Attack == "pgd" && a.Eps == 0.2 && a.Accuracy >= 0.1 {
				t.Errorf("PGD at eps 0.2 leaves the digits CNN at %.3f accuracy, want below 0.1", a.Accuracy)
			}
		}
	}
	html, err := os.ReadFile(filepath.Join(report, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#:]+)"`).FindAllSubmatch(html, -1) {
		if _, err := os.Stat(filepath.Join(report, string(m[1]))); err != nil {
			t.Errorf("report.html references %s, which does not exist", m[1])
		}
	}
}
