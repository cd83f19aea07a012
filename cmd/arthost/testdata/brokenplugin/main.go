// Command brokenplugin is a deliberately broken arthost plugin for the
// tests of `arthost plugins test`. It speaks the contract through raw gRPC
// (not the sdk, which would stop it lying) and breaks it the way the
// suffix of its executable's name says (arthost-plugin-broken-MODE; the
// name, not the environment, since the host passes plugins only an
// allowlist of variables):
//
//	shapes    Predict answers (n, k+1), LossGradient (n, d+1), ClassGradient
//	          with one label (n, k, d)
//	lies      claims Loss but answers Unimplemented; does not claim Save but
//	          saves; claims probabilities but answers rows that do not sum
//	          to one; accepts NaN input
//	protocol2 serves only protocol version 2, which no host speaks yet
//
// Any other name serves an honest minimal estimator.
package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

const features, classes = 2, 2

type broken struct {
	estimatorv1.UnimplementedEstimatorServer
	mode string
}

func (b *broken) description() *estimatorv1.Description {
	return &estimatorv1.Description{
		Name: "broken-" + b.mode, Version: "0", Framework: "none",
		InputShape: []int64{features}, NbClasses: classes,
		Output:          estimatorv1.OutputKind_OUTPUT_KIND_PROBABILITIES,
		ProtocolVersion: shared.ProtocolVersion,
		Capabilities: &estimatorv1.Capabilities{
			Loss: b.mode == "lies", LossGradient: true, ClassGradient: true,
		},
	}
}

func (b *broken) Load(context.Context, *estimatorv1.LoadRequest) (*estimatorv1.LoadResponse, error) {
	return &estimatorv1.LoadResponse{Description: b.description()}, nil
}

func (b *broken) Describe(context.Context, *estimatorv1.DescribeRequest) (*estimatorv1.DescribeResponse, error) {
	return &estimatorv1.DescribeResponse{Description: b.description()}, nil
}

// input decodes x with the checks an honest plugin makes (the liar skips
// the NaN check).
func (b *broken) input(p *estimatorv1.Tensor) (tensor.Tensor, error) {
	x, err := tensor.FromProto(p)
	switch {
	case err != nil:
		return x, status.Errorf(codes.InvalidArgument, "input: %v", err)
	case !x.IsFloat():
		return x, status.Errorf(codes.InvalidArgument, "input dtype %v", x.DType)
	case len(x.Shape) != 2 || x.Shape[0] == 0 || x.Shape[1] != features:
		return x, status.Errorf(codes.InvalidArgument, "input shape %v", x.Shape)
	case b.mode != "lies" && x.FirstNonFinite() >= 0:
		return x, status.Errorf(codes.InvalidArgument, "input has NaN")
	}
	return x, nil
}

func (b *broken) Predict(_ context.Context, req *estimatorv1.PredictRequest) (*estimatorv1.PredictResponse, error) {
	x, err := b.input(req.X)
	if err != nil {
		return nil, err
	}
	k, v := classes, 1.0/classes
	switch b.mode {
	case "shapes":
		k = classes + 1
	case "lies":
		v = 0.7
	}
	y := tensor.New(tensor.Float64, x.Rows(), k)
	for i := range y.F64 {
		y.F64[i] = v
	}
	p, err := tensor.ToProto(y.As(x.DType))
	return &estimatorv1.PredictResponse{Y: p}, err
}

func (b *broken) LossGradient(_ context.Context, req *estimatorv1.LossGradientRequest) (*estimatorv1.LossGradientResponse, error) {
	x, err := b.input(req.X)
	if err != nil {
		return nil, err
	}
	y, err := tensor.FromProto(req.Labels)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "labels: %v", err)
	}
	if _, err := tensor.NormalizeLabels(y, x.Rows(), classes); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%v", err)
	}
	d := features
	if b.mode == "shapes" {
		d++
	}
	p, err := tensor.ToProto(tensor.New(x.DType, x.Rows(), d))
	return &estimatorv1.LossGradientResponse{Gradient: p}, err
}

func (b *broken) ClassGradient(_ context.Context, req *estimatorv1.ClassGradientRequest) (*estimatorv1.ClassGradientResponse, error) {
	x, err := b.input(req.X)
	if err != nil {
		return nil, err
	}
	for _, c := range req.Classes {
		if c < 0 || c >= classes {
			return nil, status.Errorf(codes.InvalidArgument, "label %d out of range", c)
		}
	}
	per := classes
	if len(req.Classes) > 0 && b.mode != "shapes" {
		per = 1
	}
	p, err := tensor.ToProto(tensor.New(x.DType, x.Rows(), per, features))
	return &estimatorv1.ClassGradientResponse{Gradient: p}, err
}

func (b *broken) Loss(context.Context, *estimatorv1.LossRequest) (*estimatorv1.LossResponse, error) {
	return nil, status.Error(codes.Unimplemented, "loss is not implemented")
}

func (b *broken) Save(_ context.Context, req *estimatorv1.SaveRequest) (*estimatorv1.SaveResponse, error) {
	if b.mode != "lies" {
		return nil, status.Error(codes.Unimplemented, "save is not implemented")
	}
	return &estimatorv1.SaveResponse{Path: req.Path}, os.WriteFile(req.Path, []byte("saved"), 0o600)
}

func (b *broken) Health(context.Context, *estimatorv1.HealthRequest) (*estimatorv1.HealthResponse, error) {
	return &estimatorv1.HealthResponse{Ok: true, Detail: "no canary"}, nil
}

func main() {
	name := filepath.Base(os.Args[0])
	b := &broken{mode: strings.TrimPrefix(name, "arthost-plugin-broken-")}
	version := shared.ProtocolVersion
	if b.mode == "protocol2" {
		version = shared.ProtocolVersion + 1
	}
	hs := shared.Handshake
	hs.ProtocolVersion = uint(version)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: map[int]plugin.PluginSet{version: shared.PluginSet(b)},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}
