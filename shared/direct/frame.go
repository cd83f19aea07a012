// Package direct is the direct channel: a framed request/response exchange
// on a unix socket beside a plugin's gRPC server, for the Estimator
// methods an attack calls thousands of times. A gRPC unary call between
// two processes costs 60-150 us on a 2-core machine, most of it in the
// hand-offs between gRPC's goroutines; a framed exchange on the socket
// takes under 10 us (shared/proto/arthost/v1/direct.proto).
//
// Frames carry the Estimator request and response messages unchanged, so
// the plugin's validation, errors and shared-memory tensors are the same
// on both paths. A connection first sends the 32-byte token from Open,
// then any number of requests, one at a time:
//
//	request:  u32 body length | u8 method | i64 deadline (Unix ns, 0 none) | body
//	response: u32 body length | u8 kind (0 message, 1 google.rpc.Status) | body
//
// integers little-endian. Bodies above shared.MaxMessageSize end the
// connection.
package direct

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// Version is the framing version this package speaks.
const Version = 1

// TokenSize is the length of the connection token.
const TokenSize = 32

// The methods a frame can call.
const (
	methodPredict byte = iota + 1
	methodPredictUncertainty
	methodLoss
	methodLossGradient
	methodClassGradient
	methodActivations
)

// The kinds of response body.
const (
	kindMessage byte = 0
	kindStatus  byte = 1
)

const (
	requestHeader  = 4 + 1 + 8
	responseHeader = 4 + 1
)

// readBody reads n body bytes into buf (grown as needed), refusing bodies
// above limit before allocating for them.
func readBody(r io.Reader, buf []byte, n uint32, limit int) ([]byte, error) {
	if int64(n) > int64(limit) {
		return buf, fmt.Errorf("frame of %d bytes exceeds the %d-byte limit", n, limit)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func putRequestHeader(b []byte, bodyLen int, method byte, deadline int64) {
	binary.LittleEndian.PutUint32(b, uint32(bodyLen))
	b[4] = method
	binary.LittleEndian.PutUint64(b[5:], uint64(deadline))
}

func putResponseHeader(b []byte, bodyLen int, kind byte) {
	binary.LittleEndian.PutUint32(b, uint32(bodyLen))
	b[4] = kind
}

// newReader buffers a connection's reads: a frame's header and a small
// body then take one system call.
func newReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }
