package direct

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// handshakeTimeout bounds how long a new connection may take to present
// its token.
const handshakeTimeout = 10 * time.Second

// Server serves the direct channel of one plugin: the DirectChannel gRPC
// service that hands out the socket, and the socket itself.
type Server struct {
	estimatorv1.UnimplementedDirectChannelServer
	impl  estimatorv1.EstimatorServer
	limit int
	ln    net.Listener
	path  string
	token [TokenSize]byte

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Listen opens the socket in dir (the private folder go-plugin gives the
// plugin; the system's temporary folder when empty) for impl, refusing
// frames above limit bytes.
func Listen(impl estimatorv1.EstimatorServer, dir string, limit int) (*Server, error) {
	f, err := os.CreateTemp(dir, "direct")
	if err != nil {
		return nil, fmt.Errorf("direct channel: %w", err)
	}
	path := f.Name()
	f.Close()
	os.Remove(path) // the socket must not exist yet
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("direct channel: %w", err)
	}
	s := &Server{impl: impl, limit: limit, ln: ln, path: path, conns: map[net.Conn]struct{}{}}
	if _, err := rand.Read(s.token[:]); err != nil {
		ln.Close()
		return nil, fmt.Errorf("direct channel: %w", err)
	}
	go s.accept()
	return s, nil
}

// Open answers the host's DirectChannel.Open.
func (s *Server) Open(_ context.Context, req *estimatorv1.OpenDirectRequest) (*estimatorv1.OpenDirectResponse, error) {
	if req.GetVersion() < Version {
		return nil, status.Errorf(codes.Unimplemented, "direct channel: host speaks framing version %d, this plugin %d", req.GetVersion(), Version)
	}
	return &estimatorv1.OpenDirectResponse{Version: Version, SocketPath: s.path, Token: s.token[:]}, nil
}

// Close stops listening and ends every connection.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	return err
}

func (s *Server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		go func() {
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// serve answers the frames of one connection until it closes or breaks
// the framing.
func (s *Server) serve(c net.Conn) {
	var token [TokenSize]byte
	c.SetReadDeadline(time.Now().Add(handshakeTimeout))
	if _, err := io.ReadFull(c, token[:]); err != nil || subtle.ConstantTimeCompare(token[:], s.token[:]) != 1 {
		return
	}
	c.SetReadDeadline(time.Time{})
	r := newReader(c)
	var hdr [requestHeader]byte
	var body, out []byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		var err error
		if body, err = readBody(r, body, binary.LittleEndian.Uint32(hdr[:]), s.limit); err != nil {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		if dl := int64(binary.LittleEndian.Uint64(hdr[5:])); dl != 0 {
			ctx, cancel = context.WithDeadline(context.Background(), time.Unix(0, dl))
		}
		w := watchLeave(c, r, cancel)
		resp, callErr := s.dispatch(ctx, hdr[4], body)
		w.stop()
		cancel()
		kind := kindMessage
		var m proto.Message = resp
		if callErr != nil {
			kind, m = kindStatus, status.Convert(callErr).Proto()
		}
		out = append(out[:0], 0, 0, 0, 0, 0)
		if out, err = (proto.MarshalOptions{}).MarshalAppend(out, m); err != nil {
			kind = kindStatus
			out, _ = (proto.MarshalOptions{}).MarshalAppend(out[:responseHeader], status.New(codes.Internal, "direct channel: marshal the answer: "+err.Error()).Proto())
		}
		putResponseHeader(out, len(out)-responseHeader, kind)
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// watchAfter is how long a call runs before the plugin starts watching
// for the host leaving: quick calls finish before it would matter, and
// watching every call would add a goroutine hand-off to each.
const watchAfter = 2 * time.Millisecond

// leaveWatch cancels a running call when the host closes the connection
// (it gave up on the call), as gRPC cancels a call whose client left.
type leaveWatch struct {
	c     net.Conn
	timer *time.Timer
	done  chan struct{}
}

// watchLeave starts watching c, read through r, after watchAfter; the
// host sends nothing while it waits for an answer, so a read that ends
// in an error means it left.
func watchLeave(c net.Conn, r *bufio.Reader, cancel context.CancelFunc) *leaveWatch {
	w := &leaveWatch{c: c, done: make(chan struct{})}
	w.timer = time.AfterFunc(watchAfter, func() {
		defer close(w.done)
		if _, err := r.Peek(1); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel()
		}
	})
	return w
}

// stop ends the watch before the connection is used again: a watch that
// has started is interrupted with a past read deadline and waited for.
func (w *leaveWatch) stop() {
	if w.timer.Stop() {
		return
	}
	w.c.SetReadDeadline(past)
	<-w.done
	w.c.SetReadDeadline(time.Time{})
}

// dispatch decodes body as the request of method and calls the estimator.
func (s *Server) dispatch(ctx context.Context, method byte, body []byte) (proto.Message, error) {
	resp, err := s.call(ctx, method, body)
	if err == nil && (resp == nil || !resp.ProtoReflect().IsValid()) {
		return nil, status.Error(codes.Internal, "direct channel: the estimator returned neither an answer nor an error")
	}
	return resp, err
}

func (s *Server) call(ctx context.Context, method byte, body []byte) (proto.Message, error) {
	switch method {
	case methodPredict:
		return handle(ctx, body, s.impl.Predict)
	case methodPredictUncertainty:
		return handle(ctx, body, s.impl.PredictUncertainty)
	case methodLoss:
		return handle(ctx, body, s.impl.Loss)
	case methodLossGradient:
		return handle(ctx, body, s.impl.LossGradient)
	case methodClassGradient:
		return handle(ctx, body, s.impl.ClassGradient)
	case methodActivations:
		return handle(ctx, body, s.impl.Activations)
	}
	return nil, status.Errorf(codes.Unimplemented, "direct channel: unknown method %d", method)
}

// handle decodes the request of one method and calls it.
func handle[Req any, Resp proto.Message, PReq interface {
	*Req
	proto.Message
}](ctx context.Context, body []byte, f func(context.Context, PReq) (Resp, error)) (proto.Message, error) {
	req := PReq(new(Req))
	if err := proto.Unmarshal(body, req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "direct channel: malformed request: %v", err)
	}
	resp, err := f(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp, nil
}
