package direct

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// echo is an estimator whose Predict answers with the request's input and
// the deadline it saw, refuses an empty input, and blocks on "hang".
type echo struct {
	estimatorv1.UnimplementedEstimatorServer
	release   chan struct{}
	cancelled chan error // what a call of 14 rows saw end its context
}

func (e *echo) Predict(ctx context.Context, req *estimatorv1.PredictRequest) (*estimatorv1.PredictResponse, error) {
	x := req.GetX()
	switch {
	case x == nil:
		return nil, status.Error(codes.InvalidArgument, "lin predict: empty input")
	case x.GetShape()[0] == 0:
		return nil, nil // neither answer nor error
	case x.GetShape()[0] == 13:
		<-e.release // a plugin stuck whatever its context says
	case x.GetShape()[0] == 14:
		<-ctx.Done() // a plugin that stops when its call is abandoned
		e.cancelled <- ctx.Err()
		return nil, ctx.Err()
	}
	if dl, ok := ctx.Deadline(); ok {
		x.Shape = append(x.Shape, dl.Unix())
	}
	return &estimatorv1.PredictResponse{Y: x}, nil
}

// viaGRPC marks answers that came through the fallback path.
type viaGRPC struct{ estimatorv1.EstimatorClient }

func (viaGRPC) Predict(context.Context, *estimatorv1.PredictRequest, ...grpc.CallOption) (*estimatorv1.PredictResponse, error) {
	return &estimatorv1.PredictResponse{Y: &estimatorv1.Tensor{Shape: []int64{-7}}}, nil
}

const testLimit = 1 << 20

func start(t *testing.T) (*Server, *Client) {
	t.Helper()
	release := make(chan struct{})
	srv, err := Listen(&echo{release: release, cancelled: make(chan error, 1)}, t.TempDir(), testLimit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(release); srv.Close() })
	c := &Client{EstimatorClient: viaGRPC{}, limit: testLimit}
	resp, err := srv.Open(context.Background(), &estimatorv1.OpenDirectRequest{Version: Version})
	if err != nil {
		t.Fatal(err)
	}
	cn, err := dial(context.Background(), resp.SocketPath, resp.Token)
	if err != nil {
		t.Fatal(err)
	}
	c.path, c.token, c.idle = resp.SocketPath, resp.Token, []*conn{cn}
	t.Cleanup(c.Close)
	return srv, c
}

func predict(c *Client, ctx context.Context, rows int64) (*estimatorv1.PredictResponse, error) {
	return c.Predict(ctx, &estimatorv1.PredictRequest{X: &estimatorv1.Tensor{Shape: []int64{rows, 2}, Data: make([]byte, 8*rows)}})
}

func TestRoundTripAndFallback(t *testing.T) {
	_, c := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	resp, err := predict(c, ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	dl, _ := ctx.Deadline()
	if got := resp.Y.Shape; len(got) != 3 || got[0] != 3 || got[2] != dl.Unix() {
		t.Fatalf("answer shape %v, want [3 2 %d] (the deadline reaches the plugin)", got, dl.Unix())
	}
	// Without an open channel the client uses gRPC.
	plain := &Client{EstimatorClient: viaGRPC{}, limit: testLimit}
	if resp, err := predict(plain, ctx, 3); err != nil || resp.Y.Shape[0] != -7 || plain.Direct() {
		t.Fatalf("unopened client: %v, %v, Direct %v", resp, err, plain.Direct())
	}
}

func TestPluginErrorsKeepCodeAndConnection(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	_, err := c.Predict(ctx, &estimatorv1.PredictRequest{})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "lin predict: empty input") {
		t.Fatalf("error %v, want the plugin's InvalidArgument", err)
	}
	_, err = predict(c, ctx, 0)
	if status.Code(err) != codes.Internal {
		t.Fatalf("nil answer: error %v, want Internal", err)
	}
	if len(c.idle) != 1 {
		t.Fatalf("%d idle connections after refusals, want the one reused", len(c.idle))
	}
	if _, err := predict(c, ctx, 2); err != nil {
		t.Fatal(err)
	}
}

func TestCancelAndDeadlineEndBlockedCalls(t *testing.T) {
	_, c := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := predict(c, ctx, 13); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("hung call with a deadline: %v, want DeadlineExceeded", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	if _, err := predict(c, ctx2, 13); status.Code(err) != codes.Canceled {
		t.Fatalf("cancelled call: %v, want Canceled", err)
	}
	// The interrupted connections were dropped; a new one answers.
	if _, err := predict(c, context.Background(), 2); err != nil {
		t.Fatal(err)
	}
}

func TestClosedServerIsUnavailable(t *testing.T) {
	srv, c := start(t)
	srv.Close()
	_, err := predict(c, context.Background(), 2)
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "direct channel") {
		t.Fatalf("error %v, want Unavailable from the direct channel", err)
	}
	if _, err := predict(c, context.Background(), 2); status.Code(err) != codes.Unavailable {
		t.Fatalf("second call: %v, want Unavailable (no socket to dial)", err)
	}
}

func TestServerRefusesBadPeers(t *testing.T) {
	srv, _ := start(t)
	resp, _ := srv.Open(context.Background(), &estimatorv1.OpenDirectRequest{Version: Version})
	closed := func(name string, send []byte) {
		t.Helper()
		nc, err := net.Dial("unix", resp.SocketPath)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write(send)
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Errorf("%s: read %v, want the connection closed", name, err)
		}
	}
	wrong := make([]byte, TokenSize)
	closed("wrong token", wrong)
	huge := make([]byte, requestHeader)
	putRequestHeader(huge, testLimit+1, methodPredict, 0)
	closed("oversized frame", append(append([]byte{}, resp.Token...), huge...))

	// An unknown method is refused on a connection that stays usable.
	nc, err := net.Dial("unix", resp.SocketPath)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := make([]byte, requestHeader)
	putRequestHeader(req, 0, 99, 0)
	nc.Write(append(append([]byte{}, resp.Token...), req...))
	hdr := make([]byte, responseHeader)
	if _, err := io.ReadFull(nc, hdr); err != nil || hdr[4] != kindStatus {
		t.Fatalf("unknown method: header %v, %v; want a status answer", hdr, err)
	}
	io.CopyN(io.Discard, nc, int64(binary.LittleEndian.Uint32(hdr)))

	if _, err := srv.Open(context.Background(), &estimatorv1.OpenDirectRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("Open from a host of framing version 0: %v, want Unimplemented", err)
	}
}

func TestClientRefusesOversizedAnswer(t *testing.T) {
	_, c := start(t)
	c.limit = 64 // below the answer of a 3-row predict
	if _, err := predict(c, context.Background(), 1); err != nil {
		t.Fatalf("small call: %v", err)
	}
	_, err := predict(c, context.Background(), 30)
	if err == nil {
		t.Fatal("an oversized exchange succeeded")
	}
	if code := status.Code(err); code != codes.ResourceExhausted && code != codes.Unavailable {
		t.Fatalf("error %v, want ResourceExhausted or Unavailable", err)
	}
}

// TestAbandonedCallIsCancelledInThePlugin checks that a call the host
// gives up on (cancelled, no deadline) ends the plugin's context too, as
// gRPC does, instead of running on and holding the estimator.
func TestAbandonedCallIsCancelledInThePlugin(t *testing.T) {
	srv, c := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := predict(c, ctx, 14); status.Code(err) != codes.Canceled {
		t.Fatalf("cancelled call: %v, want Canceled", err)
	}
	select {
	case err := <-srv.impl.(*echo).cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the plugin's context ended with %v, want Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the plugin's call still runs after the host gave up")
	}
}
