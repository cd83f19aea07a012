// Package model runs scikit-learn classifiers in Go from the portable JSON
// export written by plugins/sklearn/export/arthost_sklearn_export.py.
//
// Load parses and strictly validates an export (format name and version,
// every required field, lengths, finite numbers, tree structure) and returns
// a Model. Each family lives in its own file and reproduces scikit-learn
// 1.2's arithmetic closely enough that predict_proba and decision_function
// agree to 1e-9 and predict agrees exactly: trees compare the input cast to
// float32 with <=, SVC follows libsvm's pair order, signs and Platt/coupling
// loop, GradientBoosting starts from its prior, and so on.
//
// Differentiable families (LogisticRegression, LinearSVC, SVC, GaussianNB,
// MLPClassifier, and scaler pipelines ending in one of these) also give the
// exact Jacobian of their output for one row through Grad; gradient.go turns
// that into class and loss gradients. LogisticRegression and GaussianNB can
// be refitted in Go (fit_*.go), and Marshal writes a model back to the export
// format.
//
// Batch prediction is laid out for speed without changing those results:
// matrix products go through ../linalg, exponentials through ../vecmath,
// and trees are walked in a complete (padded) layout against float64
// bounds equivalent to the float32 comparison (flat.go), with per-leaf
// results (normalised probabilities, AdaBoost terms, GradientBoosting's
// scaled values) computed once at load; shallow GradientBoosting trees are
// walked eight rows at a time on AVX-512 (gbwalk_amd64.s).
//
// The package is used by the sklearn plugin only. Methods assume inputs of
// the right size: the plugin validates shapes before calling, and a wrong
// size is a caller bug that panics.
package model
