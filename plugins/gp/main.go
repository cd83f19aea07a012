// Command arthost-plugin-gp is the Gaussian-process classification plugin of
// arthost: binary and one-vs-rest GP classifiers with Laplace (logistic, as
// scikit-learn) or EP (probit, as GPy) inference, fitted in the plugin or
// loaded from a JSON model file, with predictive uncertainty and analytic
// input gradients. See README.md for the options and the model file.
package main

import "github.com/arthost/arthost/sdk"

func main() { sdk.Serve(newEstimator(), sdk.WithConcurrentCalls()) }
