package direct

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// maxIdle is how many idle connections a client keeps; concurrent calls
// beyond it open connections that are closed afterwards.
const maxIdle = 4

// Client is the host's Estimator client: the hot methods go through the
// direct channel once Open succeeded, everything else (and everything
// before) through gRPC.
type Client struct {
	estimatorv1.EstimatorClient
	opener estimatorv1.DirectChannelClient
	limit  int

	mu    sync.Mutex
	path  string // empty until Open succeeds
	token []byte
	idle  []*conn
}

// NewClient wraps the gRPC connection of one plugin, refusing direct
// answers above limit bytes.
func NewClient(cc grpc.ClientConnInterface, limit int) *Client {
	return &Client{EstimatorClient: estimatorv1.NewEstimatorClient(cc), opener: estimatorv1.NewDirectChannelClient(cc), limit: limit}
}

// Open asks the plugin for its direct channel and checks that a
// connection can be made. An error (Unimplemented from plugins without
// the channel) leaves the client on gRPC, which keeps working.
func (c *Client) Open(ctx context.Context) error {
	resp, err := c.opener.Open(ctx, &estimatorv1.OpenDirectRequest{Version: Version})
	if err != nil {
		return err
	}
	if resp.GetVersion() != Version || len(resp.GetToken()) != TokenSize || resp.GetSocketPath() == "" {
		return fmt.Errorf("direct channel: unusable answer (version %d, %d-byte token)", resp.GetVersion(), len(resp.GetToken()))
	}
	cn, err := dial(ctx, resp.GetSocketPath(), resp.GetToken())
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.path, c.token = resp.GetSocketPath(), resp.GetToken()
	c.idle = append(c.idle, cn)
	c.mu.Unlock()
	return nil
}

// Direct reports whether calls go through the direct channel.
func (c *Client) Direct() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.path != ""
}

// Close ends the idle connections.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cn := range c.idle {
		cn.Close()
	}
	c.idle = nil
}

func (c *Client) Predict(ctx context.Context, in *estimatorv1.PredictRequest, opts ...grpc.CallOption) (*estimatorv1.PredictResponse, error) {
	return invoke(c, ctx, methodPredict, in, new(estimatorv1.PredictResponse), c.EstimatorClient.Predict, opts)
}

func (c *Client) PredictUncertainty(ctx context.Context, in *estimatorv1.PredictUncertaintyRequest, opts ...grpc.CallOption) (*estimatorv1.PredictUncertaintyResponse, error) {
	return invoke(c, ctx, methodPredictUncertainty, in, new(estimatorv1.PredictUncertaintyResponse), c.EstimatorClient.PredictUncertainty, opts)
}

func (c *Client) Loss(ctx context.Context, in *estimatorv1.LossRequest, opts ...grpc.CallOption) (*estimatorv1.LossResponse, error) {
	return invoke(c, ctx, methodLoss, in, new(estimatorv1.LossResponse), c.EstimatorClient.Loss, opts)
}

func (c *Client) LossGradient(ctx context.Context, in *estimatorv1.LossGradientRequest, opts ...grpc.CallOption) (*estimatorv1.LossGradientResponse, error) {
	return invoke(c, ctx, methodLossGradient, in, new(estimatorv1.LossGradientResponse), c.EstimatorClient.LossGradient, opts)
}

func (c *Client) ClassGradient(ctx context.Context, in *estimatorv1.ClassGradientRequest, opts ...grpc.CallOption) (*estimatorv1.ClassGradientResponse, error) {
	return invoke(c, ctx, methodClassGradient, in, new(estimatorv1.ClassGradientResponse), c.EstimatorClient.ClassGradient, opts)
}

func (c *Client) Activations(ctx context.Context, in *estimatorv1.ActivationsRequest, opts ...grpc.CallOption) (*estimatorv1.ActivationsResponse, error) {
	return invoke(c, ctx, methodActivations, in, new(estimatorv1.ActivationsResponse), c.EstimatorClient.Activations, opts)
}

// invoke sends one call through the direct channel when it is open, and
// through gRPC (viaGRPC) otherwise.
func invoke[Req proto.Message, Resp proto.Message](c *Client, ctx context.Context, method byte, req Req, resp Resp,
	viaGRPC func(context.Context, Req, ...grpc.CallOption) (Resp, error), opts []grpc.CallOption) (Resp, error) {
	cn, err := c.get(ctx)
	if err != nil {
		var zero Resp
		return zero, err
	}
	if cn == nil {
		return viaGRPC(ctx, req, opts...)
	}
	err = cn.call(ctx, method, req, resp, c.limit)
	if answered, ok := err.(statusError); ok {
		c.put(cn)
		var zero Resp
		return zero, answered.err
	}
	if err != nil {
		cn.Close() // the framing is lost: never reuse it
		var zero Resp
		return zero, transportError(ctx, err)
	}
	c.put(cn)
	return resp, nil
}

// get returns an idle connection, a new one, or nil when the channel is
// not open.
func (c *Client) get(ctx context.Context) (*conn, error) {
	c.mu.Lock()
	if c.path == "" {
		c.mu.Unlock()
		return nil, nil
	}
	if n := len(c.idle); n > 0 {
		cn := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		return cn, nil
	}
	path, token := c.path, c.token
	c.mu.Unlock()
	cn, err := dial(ctx, path, token)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	return cn, nil
}

func (c *Client) put(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.idle) < maxIdle && c.path != "" {
		c.idle = append(c.idle, cn)
		return
	}
	cn.Close()
}

// transportError is the gRPC status a broken exchange becomes: the
// context's own end, or Unavailable (the plugin exited or crashed), as
// gRPC itself reports them.
func transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return grpcstatus.FromContextError(ctx.Err()).Err()
	}
	// The socket's deadline is the context's, and may fire a moment
	// before the context's own timer.
	if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
		return grpcstatus.FromContextError(context.DeadlineExceeded).Err()
	}
	return grpcstatus.Error(codes.Unavailable, "direct channel: "+err.Error())
}

// statusError is an error the plugin answered with; the connection stays
// usable.
type statusError struct{ err error }

func (e statusError) Error() string { return e.err.Error() }

// conn is one connection of the direct channel.
type conn struct {
	net.Conn
	r   *bufio.Reader
	buf []byte
}

func dial(ctx context.Context, path string, token []byte) (*conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if _, err := nc.Write(token); err != nil {
		nc.Close()
		return nil, err
	}
	return &conn{Conn: nc, r: newReader(nc)}, nil
}

// past is a deadline that has passed, to interrupt a blocked exchange.
var past = time.Unix(1, 0)

// call sends req and reads the answer into resp. A plugin's error comes
// back as statusError; any other error means the connection is unusable.
func (cn *conn) call(ctx context.Context, method byte, req, resp proto.Message, limit int) error {
	var deadline int64
	if dl, ok := ctx.Deadline(); ok {
		deadline = dl.UnixNano()
		cn.SetDeadline(dl)
	} else {
		cn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { cn.SetDeadline(past) })
	defer stop()

	b := append(cn.buf[:0], make([]byte, requestHeader)...)
	b, err := (proto.MarshalOptions{}).MarshalAppend(b, req)
	if err != nil {
		return statusError{grpcstatus.Errorf(codes.Internal, "direct channel: marshal the request: %v", err)}
	}
	if len(b)-requestHeader > limit {
		return statusError{grpcstatus.Errorf(codes.ResourceExhausted, "direct channel: request of %d bytes exceeds the %d-byte limit", len(b)-requestHeader, limit)}
	}
	putRequestHeader(b, len(b)-requestHeader, method, deadline)
	cn.buf = b
	if _, err := cn.Write(b); err != nil {
		return err
	}
	var hdr [responseHeader]byte
	if _, err := io.ReadFull(cn.r, hdr[:]); err != nil {
		return err
	}
	body, err := readBody(cn.r, cn.buf, binary.LittleEndian.Uint32(hdr[:]), limit)
	cn.buf = body
	if err != nil {
		return err
	}
	switch hdr[4] {
	case kindMessage:
		if err := proto.Unmarshal(body, resp); err != nil {
			return fmt.Errorf("malformed answer: %w", err)
		}
		return nil
	case kindStatus:
		var st status.Status
		if err := proto.Unmarshal(body, &st); err != nil {
			return fmt.Errorf("malformed error answer: %w", err)
		}
		if st.Code == int32(codes.OK) {
			return errors.New("error answer with code OK")
		}
		return statusError{grpcstatus.ErrorProto(&st)}
	}
	return fmt.Errorf("unknown answer kind %d", hdr[4])
}
