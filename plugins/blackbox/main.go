// Command arthost-plugin-blackbox serves a black-box prediction source as
// an arthost estimator, as ART's BlackBoxClassifier turns a prediction
// function or a table of recorded predictions into a classifier.
//
// The source is chosen with option source=:
//
//   - http: a model server speaking the Open Inference Protocol v2 REST API
//     (Triton, KServe, Seldon MLServer) or, with protocol=tfserving, the
//     TensorFlow Serving REST API. Options: url, model, protocol=v2|tfserving,
//     input_name, output_name, timeout (per attempt, Go duration, default
//     30s), retries (default 3, exponential backoff on connection errors,
//     5xx and 429), concurrency (requests in flight, default 4), rps
//     (requests per second, default unlimited), header.<Name>=<value>
//     (sent with every request, never logged). With protocol=v2, input_name,
//     input_shape and nb_classes default to what GET {url}/v2/models/{model}
//     says.
//   - command: a local program (option command, an argv string split like a
//     shell would and run without one) reading .npy batches on stdin and
//     writing .npy answers on stdout; see package internal/command for the
//     framing. Option timeout bounds one batch.
//   - table: recorded predictions in an .npz with x and y (option table, or
//     the model path); fuzzy=true looks rows up with numpy.isclose
//     semantics and options rtol, atol (defaults 1e-5, 1e-8).
//
// For every source: output_kind=probabilities|logits|labels (labels become
// one-hot rows), input_shape (comma-separated), nb_classes, budget (queries
// allowed; further ones are refused with ResourceExhausted), cache (answers
// kept in an LRU), batch_size (rows per source request, default 64 for http
// and unlimited otherwise), gradient=nes with nes_samples (queries per row,
// even, default 100), nes_sigma (default 1e-3) and seed.
//
// A query is one input row sent to the source; identical rows of a batch
// are sent once and cached rows not at all. Describe reports the count in
// Info["queries"], and the plugin logs it when it exits.
package main

import (
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/arthost/arthost/sdk"
)

func main() {
	log := hclog.New(&hclog.LoggerOptions{Name: "blackbox", Output: os.Stderr, JSONFormat: true, Level: hclog.Info})
	e := newEstimator(log)
	sdk.Serve(e, sdk.WithLogger(log), sdk.WithConcurrentCalls())
	e.Close()
}
