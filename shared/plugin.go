// Package shared holds the arthost wire contract: the go-plugin handshake,
// the plugin map and the gRPC adapters that both the host and the SDK use.
// The service and messages are in proto/arthost/v1/estimator.proto; the
// generated code is in estimatorv1 and the tensor codec in tensor.
package shared

import (
	"context"
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"

	"github.com/arthost/arthost/shared/direct"
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
// It also offers the direct channel (shared/direct) in the private
// socket folder go-plugin gives the plugin; if that socket cannot be
// opened the host simply stays on gRPC.
func (p *EstimatorPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	estimatorv1.RegisterEstimatorServer(s, p.Impl)
	if d, err := direct.Listen(p.Impl, os.Getenv(plugin.EnvUnixSocketDir), MaxMessageSize); err == nil {
		estimatorv1.RegisterDirectChannelServer(s, d)
	}
	return nil
}

// GRPCClient returns the host's client for the estimator service, a
// *direct.Client: gRPC until its Open succeeds.
func (p *EstimatorPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return direct.NewClient(c, MaxMessageSize), nil
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
// run calls on a few long-lived worker goroutines rather than one new
// goroutine per call (gRPC still starts one when every worker is busy),
// and marshal messages with the pooled codec below.
func ServerOptions() []grpc.ServerOption {
	pool := &bufferPool{}
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize),
		grpc.ReadBufferSize(ioBuffer), grpc.WriteBufferSize(ioBuffer),
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
	}
	return append(opts, grpc.ForceServerCodecV2(protoCodec{pool}), experimental.BufferPool(pool))
}

// DialOptions raise the message caps and buffers on the host side, and
// marshal messages with the pooled codec below.
func DialOptions() []grpc.DialOption {
	pool := &bufferPool{}
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize), grpc.ForceCodecV2(protoCodec{pool})),
		grpc.WithReadBufferSize(ioBuffer), grpc.WithWriteBufferSize(ioBuffer),
		experimental.WithBufferPool(pool),
	}
}

// protoCodec is gRPC's protobuf codec (same name, same bytes on the wire,
// so peers with the default codec are unaffected) with two changes for
// tensors sent inline. gRPC's own codec takes its buffers from a pool
// whose tiers jump from 32 KiB to 1 MiB and clears the whole buffer on
// every Get: a message of a little over 32 KiB (a 128 x 64 float32 batch)
// cleared two MiB per call on each side, which made it cost more than
// twice a 64 KiB one. This codec uses buffers (power-of-two tiers, not
// cleared), and unmarshals a message that arrived in one piece in place
// instead of copying it into one buffer first.
type protoCodec struct{ pool *bufferPool }

// Name is the codec gRPC's default is registered under; the content type
// of a call becomes "application/grpc+proto", which every gRPC server
// accepts as protobuf.
func (protoCodec) Name() string { return "proto" }

func (c protoCodec) Marshal(v any) (mem.BufferSlice, error) {
	m := message(v)
	if m == nil {
		return nil, fmt.Errorf("proto codec: cannot marshal %T, want a proto.Message", v)
	}
	size := proto.Size(m)
	opts := proto.MarshalOptions{UseCachedSize: true} // the size just computed
	if mem.IsBelowBufferPoolingThreshold(size) {
		b, err := opts.Marshal(m)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	b := c.pool.Get(size)
	out, err := opts.MarshalAppend((*b)[:0], m)
	if err != nil {
		c.pool.Put(b)
		return nil, err
	}
	*b = out
	return mem.BufferSlice{mem.NewBuffer(b, c.pool)}, nil
}

func (c protoCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m := message(v)
	if m == nil {
		return fmt.Errorf("proto codec: cannot unmarshal into %T, want a proto.Message", v)
	}
	// proto.Unmarshal copies what it keeps (bytes fields included), so the
	// buffers may be reused as soon as it returns.
	if len(data) == 1 {
		return proto.Unmarshal(data[0].ReadOnlyData(), m)
	}
	b := data.MaterializeToBuffer(c.pool)
	defer b.Free()
	return proto.Unmarshal(b.ReadOnlyData(), m)
}

// message returns v as a protobuf message (nil when it is none).
func message(v any) proto.Message {
	switch m := v.(type) {
	case protoadapt.MessageV2:
		return m
	case protoadapt.MessageV1:
		return protoadapt.MessageV2Of(m)
	}
	return nil
}

const (
	minPooledShift = 8  // 256 B
	maxPooledShift = 26 // 64 MiB; larger buffers are allocated and dropped
)

// bufferPool is the gRPC buffer pool of one side's connection (messages
// and frames): one sync.Pool per power of two from 2^minPooledShift to
// 2^maxPooledShift bytes. Buffers are not cleared: gRPC and the codec
// overwrite every byte they use before reading it, and a buffer never
// leaves the process.
type bufferPool struct {
	tiers [maxPooledShift + 1]sync.Pool
}

func (p *bufferPool) Get(n int) *[]byte {
	shift := max(minPooledShift, bits.Len(uint(max(n, 1)-1)))
	if shift > maxPooledShift {
		b := make([]byte, n)
		return &b
	}
	if b, ok := p.tiers[shift].Get().(*[]byte); ok {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n, 1<<shift)
	return &b
}

func (p *bufferPool) Put(b *[]byte) {
	c := cap(*b)
	shift := bits.Len(uint(c)) - 1
	if c == 0 || c != 1<<shift || shift < minPooledShift || shift > maxPooledShift {
		return // not one of this pool's buffers
	}
	*b = (*b)[:c]
	p.tiers[shift].Put(b)
}
