package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/arthost/arthost/sdk"
)

// Output kinds (option output_kind).
const (
	kindProbabilities = "probabilities"
	kindLogits        = "logits"
	kindLabels        = "labels"
)

// Defaults, each chosen for a remote model server unless said otherwise.
const (
	defaultRetries     = 3
	defaultConcurrency = 4
	// defaultBatchSize caps rows per HTTP request: model servers often
	// refuse large batches (Triton's max_batch_size), and a gradient
	// estimate sends nes_samples rows per input row.
	defaultBatchSize  = 64
	defaultNESSamples = 100
	defaultNESSigma   = 1e-3
)

// config is every option, parsed. The option names are a contract with
// configs and scripts outside the repository: add, never rename.
type config struct {
	source string // http | command | table

	// http
	url, model, protocol  string
	inputName, outputName string
	timeout               time.Duration
	retries, concurrency  int
	rps                   float64
	headers               map[string]string
	// command
	command string
	// table
	table      string
	fuzzy      bool
	rtol, atol float64

	// all sources
	outputKind string
	kindGiven  bool
	inputShape []int
	nbClasses  int
	budget     int64
	cache      int
	batchSize  int
	gradient   string
	nesSamples int
	nesSigma   float64
	seed       int64
}

// sourceOptions names the options that belong to one source only; giving
// one to another source is an error rather than silently ignored.
var sourceOptions = map[string]string{
	"url": "http", "model": "http", "protocol": "http", "input_name": "http",
	"output_name": "http", "retries": "http", "concurrency": "http", "rps": "http",
	"command": "command",
	"table":   "table", "fuzzy": "table", "rtol": "table", "atol": "table",
}

// parseOptions reads every option, then checks them together.
func parseOptions(o *sdk.Options, modelPath string) (config, error) {
	var c config
	c.source = o.String("source", "")
	c.url = o.String("url", "")
	c.model = o.String("model", "")
	c.protocol = o.Enum("protocol", "v2", "v2", "tfserving")
	c.inputName = o.String("input_name", "")
	c.outputName = o.String("output_name", "")
	c.timeout = o.Duration("timeout", 0)
	c.retries = o.Int("retries", defaultRetries)
	c.concurrency = o.Int("concurrency", defaultConcurrency)
	c.rps = o.Float("rps", 0)
	c.headers = o.Prefixed("header.")
	c.command = o.String("command", "")
	c.table = o.String("table", modelPath)
	c.fuzzy = o.Bool("fuzzy", false)
	c.rtol = o.Float("rtol", 1e-5)
	c.atol = o.Float("atol", 1e-8)
	c.kindGiven = o.Has("output_kind")
	c.outputKind = o.Enum("output_kind", kindProbabilities, kindProbabilities, kindLogits, kindLabels)
	c.inputShape = o.Ints("input_shape", nil)
	c.nbClasses = o.Int("nb_classes", 0)
	c.budget = int64(o.Int("budget", 0))
	c.cache = o.Int("cache", 0)
	c.batchSize = o.Int("batch_size", -1)
	c.gradient = o.Enum("gradient", "none", "none", "nes")
	c.nesSamples = o.Int("nes_samples", defaultNESSamples)
	c.nesSigma = o.Float("nes_sigma", defaultNESSigma)
	c.seed = int64(o.Int("seed", 0))
	if err := o.Err(); err != nil {
		return c, err
	}
	switch c.source {
	case "http", "command", "table":
	case "":
		return c, sdk.InvalidArgumentf("option source is required: http, command or table")
	default:
		return c, sdk.InvalidArgumentf("option source=%q: want one of http|command|table", c.source)
	}
	if err := c.checkSourceOptions(o.Raw()); err != nil {
		return c, err
	}
	return c, c.checkValues()
}

func (c *config) checkSourceOptions(raw map[string]string) error {
	var wrong []string
	for k := range raw {
		src, ok := sourceOptions[k]
		if strings.HasPrefix(k, "header.") {
			src, ok = "http", true
		}
		if ok && src != c.source {
			wrong = append(wrong, fmt.Sprintf("%s (source=%s)", k, src))
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		return sdk.InvalidArgumentf("option %s given with source=%s", strings.Join(wrong, ", "), c.source)
	}
	return nil
}

func (c *config) checkValues() error {
	switch {
	case c.source == "http" && (c.url == "" || c.model == ""):
		return sdk.InvalidArgumentf("source=http needs options url and model")
	case c.source == "command" && strings.TrimSpace(c.command) == "":
		return sdk.InvalidArgumentf("source=command needs option command")
	case c.source == "table" && c.table == "":
		return sdk.InvalidArgumentf("source=table needs option table (or a model path)")
	case c.retries < 0 || c.concurrency < 1 || c.rps < 0:
		return sdk.InvalidArgumentf("options retries=%d, concurrency=%d, rps=%v: want retries >= 0, concurrency >= 1, rps >= 0", c.retries, c.concurrency, c.rps)
	case c.rtol < 0 || c.atol < 0:
		return sdk.InvalidArgumentf("options rtol=%v, atol=%v must not be negative", c.rtol, c.atol)
	case c.budget < 0 || c.cache < 0:
		return sdk.InvalidArgumentf("options budget=%d, cache=%d must not be negative", c.budget, c.cache)
	case c.nbClasses < 0:
		return sdk.InvalidArgumentf("option nb_classes=%d must be positive", c.nbClasses)
	case c.batchSize == 0 || c.batchSize < -1:
		return sdk.InvalidArgumentf("option batch_size=%d must be positive", c.batchSize)
	case c.nesSamples < 2 || c.nesSamples%2 != 0:
		return sdk.InvalidArgumentf("option nes_samples=%d: want an even number >= 2 (antithetic pairs)", c.nesSamples)
	case !(c.nesSigma > 0):
		return sdk.InvalidArgumentf("option nes_sigma=%v must be positive", c.nesSigma)
	}
	for _, d := range c.inputShape {
		if d <= 0 {
			return sdk.InvalidArgumentf("option input_shape=%v: dimensions must be positive", c.inputShape)
		}
	}
	if c.batchSize == -1 {
		c.batchSize = 0 // no split
		if c.source == "http" {
			c.batchSize = defaultBatchSize
		}
	}
	return nil
}
