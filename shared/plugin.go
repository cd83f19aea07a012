// Package shared holds the arthost wire contract: the go-plugin handshake,
// the plugin map and the gRPC adapters that both the host and the SDK use.
// The service and messages are in proto/arthost/v1/estimator.proto; the
// generated code is in estimatorv1 and the tensor codec in tensor.
package shared

import (
	"context"
	"runtime"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// ProtocolVersion is the contract version this build speaks. Breaking
// changes bump it; additive ones add capability flags.
const ProtocolVersion = 1

// PluginName is the single plugin a plugin executable dispenses.
const PluginName = "estimator"

// MaxMessageSize caps one gRPC message on both sides. Tensors are sent in
// batch_size chunks by the host, so a single message stays far below it;
// the cap only stops a runaway or hostile peer.
const MaxMessageSize = 256 << 20

// Handshake is the go-plugin handshake: a plugin started by anything but an
// arthost host (or with the wrong cookie) refuses to run.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "ARTHOST_PLUGIN_COOKIE",
	MagicCookieValue: "4f1c9a2e-arthost-estimator-v1",
}

// EstimatorPlugin is the go-plugin adapter for the Estimator service. The
// plugin side sets Server; the host side leaves it nil.
type EstimatorPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl estimatorv1.EstimatorServer
}

var _ plugin.GRPCPlugin = (*EstimatorPlugin)(nil)

// GRPCServer registers the estimator service on the plugin's gRPC server.
func (p *EstimatorPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	estimatorv1.RegisterEstimatorServer(s, p.Impl)
	return nil
}

// GRPCClient returns the host's client for the estimator service.
func (p *EstimatorPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return estimatorv1.NewEstimatorClient(c), nil
}

// PluginSet is the plugin map for one protocol version.
func PluginSet(server estimatorv1.EstimatorServer) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &EstimatorPlugin{Impl: server}}
}

// Socket buffers sized for tensors sent inline (gRPC's default is 32
// KiB); they are allocated once per connection, not per call.
//
// The flow-control windows stay at gRPC's default on purpose: setting
// them turns off gRPC's bandwidth-delay probing, which grows the windows
// by itself for large messages (to 16 MiB), and measured on a unix
// socket it made every small call about 10 µs slower while helping only
// inline messages of several MiB. Tensors of ShmThreshold and more travel
// through shared memory anyway (tensor.Spool).
const ioBuffer = 1 << 20

// ServerOptions raise the message caps and buffers on the plugin side,
// and run calls on a few long-lived worker goroutines rather than one new
// goroutine per call (gRPC still starts one when every worker is busy).
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.ReadBufferSize(ioBuffer), grpc.WriteBufferSize(ioBuffer),
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
	}
}

// DialOptions raise the message caps and buffers on the host side.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
		grpc.WithReadBufferSize(ioBuffer), grpc.WithWriteBufferSize(ioBuffer),
	}
}
