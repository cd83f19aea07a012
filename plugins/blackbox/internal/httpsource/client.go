package httpsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared/tensor"
)

// Protocols.
const (
	ProtocolV2        = "v2"
	ProtocolTFServing = "tfserving"
)

// Limits and defaults.
const (
	// maxResponseBytes matches the plugin's gRPC message cap: an answer
	// larger than that could not be passed on anyway.
	maxResponseBytes = 256 << 20
	// DefaultTimeout bounds one attempt when Config.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// defaultBackoff and defaultMaxBackoff shape the retry delays:
	// 100ms, 200ms, 400ms, ... capped at 5s, each with jitter.
	defaultBackoff    = 100 * time.Millisecond
	defaultMaxBackoff = 5 * time.Second
)

// Config says where the model is and how to talk to it. Zero values are
// the documented defaults.
type Config struct {
	URL      string // base URL, e.g. http://127.0.0.1:8000
	Model    string // model name in the request path
	Protocol string // ProtocolV2 (default) or ProtocolTFServing
	// InputName names the input tensor (v2: required; tfserving: when
	// set, instances are {name: row} objects). OutputName picks one output
	// of several; empty means the response must have exactly one.
	InputName, OutputName string
	// InputDatatype, "FP32" or "FP64", converts the batch to the dtype the
	// server declares (v2 only); empty sends the caller's dtype.
	InputDatatype string
	// Headers are added to every request; their values are secrets.
	Headers     Headers
	Timeout     time.Duration // per attempt; 0 means DefaultTimeout
	Retries     int           // extra attempts after a retryable failure
	Concurrency int           // requests in flight at once; 0 means 4
	RPS         float64       // requests per second; 0 means no limit
	// Backoff is the first retry delay and MaxBackoff its cap (tests
	// shorten them); zero means 100ms and 5s.
	Backoff, MaxBackoff time.Duration
	Logger              hclog.Logger // nil discards
}

// Headers maps header names to values that are never shown: formatting
// prints the names only.
type Headers map[string]string

// String lists the header names, sorted, without their values.
func (h Headers) String() string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// GoString is String, so %#v does not show values either.
func (h Headers) GoString() string { return "Headers(" + h.String() + ")" }

// Source sends batches to one model on one server. It is safe for
// concurrent use.
type Source struct {
	cfg    Config
	base   *url.URL
	client *http.Client
	sem    chan struct{}
	pace   *pacer
	log    hclog.Logger
}

// New checks cfg and returns a source; it makes no request.
func New(cfg Config) (*Source, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http(s)://host[:port][/prefix]", redactURL(cfg.URL))
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("no model name")
	}
	switch cfg.Protocol {
	case "":
		cfg.Protocol = ProtocolV2
	case ProtocolV2, ProtocolTFServing:
	default:
		return nil, fmt.Errorf("protocol %q: want v2 or tfserving", cfg.Protocol)
	}
	if cfg.Retries < 0 || cfg.Concurrency < 0 || cfg.RPS < 0 {
		return nil, fmt.Errorf("retries, concurrency and rps must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = defaultBackoff
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = defaultMaxBackoff
	}
	for k := range cfg.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return nil, fmt.Errorf("header name %q is not valid", k)
		}
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency
	tr.MaxConnsPerHost = cfg.Concurrency
	return &Source{
		cfg:    cfg,
		base:   u,
		client: &http.Client{Transport: tr},
		sem:    make(chan struct{}, cfg.Concurrency),
		pace:   newPacer(cfg.RPS),
		log:    log,
	}, nil
}

// Close releases idle connections.
func (s *Source) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// Describe returns what may be shown about the source: the URL without
// credentials, the model, the protocol and the header names (never values).
func (s *Source) Describe() map[string]string {
	info := map[string]string{"url": s.base.Redacted(), "model": s.cfg.Model, "protocol": s.cfg.Protocol}
	if len(s.cfg.Headers) > 0 {
		info["headers"] = s.cfg.Headers.String()
	}
	return info
}

// String names the source without its headers.
func (s *Source) String() string {
	return fmt.Sprintf("httpsource(%s %s model %q)", s.cfg.Protocol, s.base.Redacted(), s.cfg.Model)
}

// Query sends one batch x (n, *input_shape) and returns the server's
// output as float64: shape (n, ...) as the server gives it.
func (s *Source) Query(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	if len(x.Shape) == 0 || !x.IsFloat() {
		return tensor.Tensor{}, status.Errorf(codes.InvalidArgument, "http query: input %v %v is not a float batch", x.DType, x.Shape)
	}
	var body []byte
	var err error
	var path string
	switch s.cfg.Protocol {
	case ProtocolV2:
		switch s.cfg.InputDatatype {
		case "FP32":
			x = x.As(tensor.Float32)
		case "FP64":
			x = x.As(tensor.Float64)
		}
		path = "/v2/models/" + url.PathEscape(s.cfg.Model) + "/infer"
		body, err = encodeV2(x, s.cfg.InputName, s.cfg.OutputName)
	case ProtocolTFServing:
		path = "/v1/models/" + url.PathEscape(s.cfg.Model) + ":predict"
		body, err = encodeTFServing(x, s.cfg.InputName)
	}
	if err != nil {
		return tensor.Tensor{}, status.Errorf(codes.InvalidArgument, "http query: %v", err)
	}
	resp, err := s.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return tensor.Tensor{}, err
	}
	var y tensor.Tensor
	if s.cfg.Protocol == ProtocolV2 {
		y, err = decodeV2(resp, x.Shape[0], s.cfg.OutputName)
	} else {
		y, err = decodeTFServing(resp, x.Shape[0], s.cfg.OutputName, maxResponseBytes/2)
	}
	if err != nil {
		return tensor.Tensor{}, fmt.Errorf("http query %s: %w", s.endpoint(path), err)
	}
	return y, nil
}

// Health checks that the server says the model is ready: v2's
// /v2/models/{model}/ready or TF Serving's model status. It spends no query.
func (s *Source) Health(ctx context.Context) error {
	path := "/v2/models/" + url.PathEscape(s.cfg.Model) + "/ready"
	if s.cfg.Protocol == ProtocolTFServing {
		path = "/v1/models/" + url.PathEscape(s.cfg.Model)
	}
	_, err := s.do(ctx, http.MethodGet, path, nil)
	return err
}

func (s *Source) endpoint(path string) string {
	return strings.TrimSuffix(s.base.Redacted(), "/") + path
}

// do sends one request with retries and returns the body of a 200 answer.
func (s *Source) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	target := strings.TrimSuffix(s.base.String(), "/") + path
	for attempt := 0; ; attempt++ {
		r := s.attempt(ctx, method, target, path, body)
		if r.err == nil {
			return r.body, nil
		}
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		if !r.retry {
			return nil, r.err
		}
		if attempt >= s.cfg.Retries {
			if attempt == 0 {
				return nil, r.err
			}
			st := status.Convert(r.err)
			return nil, status.Errorf(st.Code(), "%s (after %d attempts)", st.Message(), attempt+1)
		}
		delay := s.backoff(attempt, r.retryAfter)
		s.log.Debug("retrying request", "endpoint", s.endpoint(path), "attempt", attempt+1, "error", r.err.Error(), "delay", delay)
		if err := sleepCtx(ctx, delay); err != nil {
			return nil, status.FromContextError(err).Err()
		}
	}
}

// result is the outcome of one attempt: a body, or an error with a status
// code saying whether a new try may pass and how long the server asked
// to wait.
type result struct {
	body       []byte
	err        error
	retry      bool
	retryAfter time.Duration
}

// attempt makes one request under the concurrency cap, the pace and the
// per-attempt timeout.
func (s *Source) attempt(ctx context.Context, method, target, path string, body []byte) result {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return result{err: status.FromContextError(ctx.Err()).Err()}
	}
	defer func() { <-s.sem }()
	if err := s.pace.wait(ctx); err != nil {
		return result{err: status.FromContextError(err).Err()}
	}
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, target, rd)
	if err != nil {
		return result{err: status.Errorf(codes.InvalidArgument, "http %s: %v", s.endpoint(path), err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return s.transportError(ctx, actx, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return s.transportError(ctx, actx, path, err)
	}
	if len(data) > maxResponseBytes {
		return result{err: status.Errorf(codes.ResourceExhausted, "http %s: response over %d bytes", s.endpoint(path), maxResponseBytes)}
	}
	if resp.StatusCode == http.StatusOK {
		return result{body: data}
	}
	return result{
		err: status.Errorf(httpCode(resp.StatusCode), "http %s: status %d: %s",
			s.endpoint(path), resp.StatusCode, serverMessage(data)),
		retry:      resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
		retryAfter: retryAfter(resp.Header.Get("Retry-After")),
	}
}

// transportError classifies a failed exchange: a per-attempt timeout is
// DeadlineExceeded, anything else (refused, reset, EOF) is Unavailable;
// both may be retried. The text never includes headers.
func (s *Source) transportError(ctx, actx context.Context, path string, err error) result {
	if ctx.Err() != nil {
		return result{err: status.FromContextError(ctx.Err()).Err()}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if actx.Err() != nil {
		return result{err: status.Errorf(codes.DeadlineExceeded, "http %s: no answer within %v", s.endpoint(path), s.cfg.Timeout), retry: true}
	}
	return result{err: status.Errorf(codes.Unavailable, "http %s: %v", s.endpoint(path), err), retry: true}
}

// httpCode maps an HTTP status to a gRPC code.
func httpCode(sc int) codes.Code {
	switch {
	case sc == http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case sc >= 500:
		return codes.Unavailable
	case sc == http.StatusUnauthorized:
		return codes.Unauthenticated
	case sc == http.StatusForbidden:
		return codes.PermissionDenied
	case sc == http.StatusNotFound:
		return codes.NotFound
	case sc == http.StatusBadRequest || sc == http.StatusUnprocessableEntity || sc == http.StatusRequestEntityTooLarge:
		return codes.InvalidArgument
	}
	return codes.FailedPrecondition
}

// backoff is the delay before retry attempt+1: Backoff*2^attempt capped
// at MaxBackoff, drawn uniformly from its upper half (jitter keeps many
// clients from retrying in step). A shorter server Retry-After is honoured.
func (s *Source) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := s.cfg.Backoff << min(attempt, 30)
	if d <= 0 || d > s.cfg.MaxBackoff {
		d = s.cfg.MaxBackoff
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	if retryAfter > 0 && retryAfter <= s.cfg.MaxBackoff {
		d = retryAfter
	}
	return d
}

func retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs < 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}

// serverMessage extracts {"error": "..."} from an error body, or the
// start of the body.
func serverMessage(b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return clip(e.Error)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "(empty body)"
	}
	return clip(strings.ToValidUTF8(string(b), "?"))
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}
