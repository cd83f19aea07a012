// Command arthost-plugin-sklearn serves scikit-learn classifiers, exported
// with export/arthost_sklearn_export.py, as an arthost estimator plugin.
// The host launches it; run directly it only prints a message.
package main

import "github.com/arthost/arthost/sdk"

func main() { sdk.Serve(newEstimator(), sdk.WithLogger(sdk.NewLogger("sklearn"))) }
