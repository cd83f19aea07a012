package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/plugins/blackbox/internal/command"
	"github.com/arthost/arthost/plugins/blackbox/internal/httpsource"
	"github.com/arthost/arthost/plugins/blackbox/internal/table"
	"github.com/arthost/arthost/sdk"
	"github.com/arthost/arthost/shared/tensor"
)

// openSource opens the source cfg names and fills cfg.inputShape,
// cfg.nbClasses and cfg.outputKind where the source can tell them.
func openSource(ctx context.Context, cfg *config, log hclog.Logger) (source, sourceShape, error) {
	switch cfg.source {
	case "http":
		return openHTTP(ctx, cfg, log)
	case "command":
		c, err := command.New(command.Config{Command: cfg.command, Timeout: cfg.timeout, Logger: log.Named("command")})
		if err != nil {
			return nil, sourceShape{}, sdk.InvalidArgumentf("source=command: %v", err)
		}
		return commandSource{c}, sourceShape{name: baseName(c.Program()), dtype: tensor.Float32}, nil
	case "table":
		return openTable(cfg)
	}
	return nil, sourceShape{}, sdk.InvalidArgumentf("source=%q: want http, command or table", cfg.source)
}

func openHTTP(ctx context.Context, cfg *config, log hclog.Logger) (source, sourceShape, error) {
	hs, err := httpsource.New(httpsource.Config{
		URL: cfg.url, Model: cfg.model, Protocol: cfg.protocol,
		InputName: cfg.inputName, OutputName: cfg.outputName, Headers: cfg.headers,
		Timeout: cfg.timeout, Retries: cfg.retries, Concurrency: cfg.concurrency, RPS: cfg.rps,
		Logger: log.Named("http"),
	})
	if err != nil {
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=http: %v", err)
	}
	shape := sourceShape{name: cfg.model, dtype: tensor.Float32}
	// The metadata fills what the options leave out, and tells a v2
	// server's input datatype; without it the options must say everything.
	needMeta := len(cfg.inputShape) == 0 || cfg.nbClasses == 0 || (cfg.protocol == httpsource.ProtocolV2 && cfg.inputName == "")
	m, err := hs.Metadata(ctx)
	if err != nil {
		if needMeta {
			hs.Close()
			hint := "input_name, input_shape and nb_classes"
			if cfg.protocol == httpsource.ProtocolTFServing {
				hint = "input_shape and nb_classes"
			}
			return nil, sourceShape{}, withHint(err, "source=http: model metadata: %v (or set "+hint+")")
		}
		log.Warn("model metadata unavailable; using the options", "error", err.Error())
		return httpSource{hs}, shape, nil
	}
	hs.SetTensors(m)
	if m.InputDatatype == "FP64" {
		shape.dtype = tensor.Float64
	}
	fixed := !slices.Contains(m.InputShape, -1)
	switch {
	case len(cfg.inputShape) == 0 && fixed:
		cfg.inputShape = m.InputShape
	case len(cfg.inputShape) > 0 && fixed && !slices.Equal(cfg.inputShape, m.InputShape):
		hs.Close()
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=http: option input_shape=%v but the server's model takes %v", cfg.inputShape, m.InputShape)
	}
	if cfg.nbClasses == 0 && cfg.outputKind != kindLabels && !slices.Contains(m.OutputShape, -1) {
		cfg.nbClasses = tensor.NumElements(m.OutputShape)
	}
	return httpSource{hs}, shape, nil
}

// withHint keeps err's status code and rewrites its message.
func withHint(err error, format string) error {
	st := status.Convert(err)
	return status.Error(st.Code(), fmt.Sprintf(format, st.Message()))
}

func openTable(cfg *config) (source, sourceShape, error) {
	tb, err := table.Load(cfg.table, table.Config{Fuzzy: cfg.fuzzy, RTol: cfg.rtol, ATol: cfg.atol})
	if err != nil {
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=table: %v", err)
	}
	if len(cfg.inputShape) > 0 && !slices.Equal(cfg.inputShape, tb.InputShape()) {
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=table: option input_shape=%v but the table's x rows have shape %v", cfg.inputShape, tb.InputShape())
	}
	cfg.inputShape = tb.InputShape()
	out := tb.OutputShape()
	isLabels := len(out) == 0 || (len(out) == 1 && out[0] == 1 && cfg.outputKind == kindLabels)
	switch {
	case isLabels && cfg.kindGiven && cfg.outputKind != kindLabels:
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=table: y holds one label per row but output_kind=%s", cfg.outputKind)
	case isLabels:
		cfg.outputKind = kindLabels
	case len(out) != 1:
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=table: y rows have shape %v, want (nb_classes,) or one label", out)
	case cfg.outputKind == kindLabels:
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=table: output_kind=labels but y rows have %d values", out[0])
	case cfg.nbClasses != 0 && cfg.nbClasses != out[0]:
		return nil, sourceShape{}, sdk.InvalidArgumentf("source=table: option nb_classes=%d but y rows have %d values", cfg.nbClasses, out[0])
	default:
		cfg.nbClasses = out[0]
	}
	return tableSource{tb, cfg.table, cfg.fuzzy}, sourceShape{name: baseName(cfg.table), dtype: tensor.Float32}, nil
}

type httpSource struct{ *httpsource.Source }

func (s httpSource) info() map[string]string          { return s.Describe() }
func (s httpSource) health(ctx context.Context) error { return s.Health(ctx) }
func (s httpSource) close() error                     { return s.Close() }

type commandSource struct{ *command.Source }

func (s commandSource) info() map[string]string {
	return map[string]string{"program": s.Program(), "starts": strconv.Itoa(s.Starts())}
}

// health reports healthy: the program is started on demand, and a canary
// batch would cost a query.
func (s commandSource) health(ctx context.Context) error { return nil }
func (s commandSource) close() error                     { return s.Close() }

type tableSource struct {
	*table.Table
	path  string
	fuzzy bool
}

func (s tableSource) info() map[string]string {
	return map[string]string{"table": s.path, "rows": strconv.Itoa(s.Rows()), "fuzzy": strconv.FormatBool(s.fuzzy)}
}
func (s tableSource) health(ctx context.Context) error { return nil }
func (s tableSource) close() error                     { return nil }
