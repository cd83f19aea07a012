// Package httpsource asks a model server for predictions over HTTP/JSON,
// speaking either the Open Inference Protocol v2 REST API (Triton, KServe,
// Seldon MLServer: POST {url}/v2/models/{model}/infer) or the TensorFlow
// Serving REST API (POST {url}/v1/models/{model}:predict with
// {"instances": [...]}).
//
// A Source sends one batch per request and takes care of the transport:
// a timeout per attempt, retries with exponential backoff and jitter on
// connection errors, 5xx and 429 answers, a cap on concurrent requests and
// a requests-per-second pace. Extra headers (an API key) are sent with
// every request and never appear in logs or error messages. Malformed
// answers (not JSON, a missing output, a shape that does not match the
// data or the batch) are errors naming what was wrong; they are not
// retried.
//
// The black-box plugin puts query accounting in front of a Source; this
// package only talks to the server.
package httpsource
