package direct

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// FuzzAnswer feeds arbitrary bytes to the host side as a plugin's answer:
// a plugin is a separate, possibly faulty program, so whatever it sends
// must end in an answer or an error, never a panic or a hang.
func FuzzAnswer(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, kindMessage})
	f.Add([]byte{2, 0, 0, 0, kindStatus, 8, 3})
	f.Add([]byte{5, 0, 0, 0, kindMessage, 10, 3, 10, 1, 2})
	f.Add([]byte{255, 255, 255, 255, kindMessage})
	f.Add([]byte{1, 0, 0, 0, 7, 0})
	f.Fuzz(func(t *testing.T, answer []byte) {
		host, plugin := net.Pipe()
		defer host.Close()
		go func() {
			var hdr [requestHeader]byte // read the request first
			if _, err := io.ReadFull(plugin, hdr[:]); err == nil {
				io.CopyN(io.Discard, plugin, int64(binary.LittleEndian.Uint32(hdr[:])))
			}
			plugin.Write(answer)
			plugin.Close()
		}()
		cn := &conn{Conn: host, r: newReader(host)}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req := &estimatorv1.PredictRequest{Logits: true}
		resp := new(estimatorv1.PredictResponse)
		cn.call(ctx, methodPredict, req, resp, 1<<16)
	})
}
