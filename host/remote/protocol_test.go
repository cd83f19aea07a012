package remote

import (
	"errors"
	"fmt"
	"testing"
)

func TestProtocolMismatch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		err  error
		v    int
		ok   bool
	}{
		{"nil", nil, 0, false},
		{"other error", errors.New("plugin exited before we could connect"), 0, false},
		// go-plugin v1.8.0's message, as its checkProtoVersion builds it.
		{"version 2", fmt.Errorf("incompatible API version with plugin. Plugin version: %d, Client versions: %d", 2, []int{1}), 2, true},
		{"wrapped", fmt.Errorf("start: %w", errors.New("incompatible API version with plugin. Plugin version: 17, Client versions: [1]")), 17, true},
		{"core protocol, not ours", errors.New("incompatible core API version with plugin. Plugin version: 2, Core version: 1"), 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, ok := protocolMismatch(c.err)
			if v != c.v || ok != c.ok {
				t.Errorf("got %d %v, want %d %v", v, ok, c.v, c.ok)
			}
		})
	}
}
