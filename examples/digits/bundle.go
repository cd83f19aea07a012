// Package digits bundles the arthost demo: the digits test data, a CNN
// (ONNX), an SVC (scikit-learn export) and a Gaussian process, and the
// config that combines them, so `arthost demo` runs with nothing but the
// binaries. make_data.py and make_models.py make the files.
package digits

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed demo.yaml cnn.onnx svc.json gp.json digits_test.npz
var bundle embed.FS

// Config and Data name the bundle's config file and labelled test data.
const (
	Config = "demo.yaml"
	Data   = "digits_test.npz"
)

// WriteTo copies the bundle into dir.
func WriteTo(dir string) error {
	return fs.WalkDir(bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := bundle.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, path), data, 0o644)
	})
}
