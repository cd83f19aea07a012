package remote

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func readAll(t testing.TB, input string, now func() time.Time) (string, *stderrReader) {
	t.Helper()
	var out bytes.Buffer
	s := newStderrReader(hclog.New(&hclog.LoggerOptions{Output: &out, Level: hclog.Trace}).With("pid", 42))
	if now != nil {
		s.now = now
	}
	s.run(io.NopCloser(strings.NewReader(input)))
	return out.String(), s
}

func TestStderrLines(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"hclog json", `{"@level":"warn","@message":"disk low","free":3}` + "\n", []string{"[WARN]", "disk low", "free=3", "pid=42"}},
		{"json without message", `{"a":1}` + "\n", []string{"[DEBUG]", `{"a":1}`}},
		{"truncated json", `{"@level":"error","@message":"cut` + "\n", []string{"[DEBUG]", `{"@level":"error","@message":"cut`}},
		{"json wrong types", `{"@level":5,"@message":{"x":1}}` + "\n", []string{"[DEBUG]"}},
		{"json level off", `{"@level":"off","@message":"m"}` + "\n", []string{"[INFO]", "m"}},
		{"plain prefix", "[ERROR] boom\n", []string{"[ERROR]", "boom"}},
		{"go crash", "panic: x\n\ngoroutine 1 [running]:\n", []string{"[ERROR] panic: x:", "[ERROR] goroutine 1 [running]:"}},
		{"binary", "a\x00b\xffc\n", []string{"a?b?c"}},
		{"no newline at end", "last words", []string{"last words"}},
		{"crlf", "line\r\n", []string{"] line: pid"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _ := readAll(t, c.in, nil)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("log lacks %q:\n%s", w, out)
				}
			}
			if c.in == "" && out != "" {
				t.Errorf("empty input logged %q", out)
			}
		})
	}
}

func TestStderrLongLineTruncated(t *testing.T) {
	in := strings.Repeat("y", 1<<20) + "\nafter\n"
	out, s := readAll(t, in, nil)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "…(truncated)") || !strings.Contains(lines[1], "after") {
		t.Fatalf("got %d lines, want the truncated one and the next: %.200q", len(lines), out)
	}
	if n := len(lines[0]); n > maxLogLine+200 {
		t.Fatalf("logged line has %d bytes, cap %d", n, maxLogLine)
	}
	if tail := s.Tail(); len(tail) != 2 || len(tail[0]) > tailWidth+len("…") {
		t.Fatalf("tail %d lines, first %d bytes", len(tail), len(tail[0]))
	}
}

func TestStderrRateLimit(t *testing.T) {
	clock := time.Unix(0, 0)
	now := func() time.Time { return clock }
	var b strings.Builder
	for i := 0; i < 1000; i++ {
		b.WriteString("[INFO] burst\n")
	}
	out, s := readAll(t, b.String(), now)
	if got := strings.Count(out, "burst"); got != logBurst {
		t.Fatalf("logged %d of 1000 lines in one instant, want the burst of %d", got, logBurst)
	}
	if !strings.Contains(out, "dropped=800") {
		t.Fatalf("no dropped count in:\n%.300s", out[len(out)-300:])
	}
	if len(s.Tail()) != tailLines {
		t.Fatalf("tail has %d lines, want %d", len(s.Tail()), tailLines)
	}
	// One second later the bucket has refilled by logRate.
	var out2 bytes.Buffer
	s.log = hclog.New(&hclog.LoggerOptions{Output: &out2})
	s.dropped = 0
	clock = clock.Add(time.Second)
	for i := 0; i < 150; i++ {
		s.line([]byte("[INFO] later"))
	}
	if got := strings.Count(out2.String(), "later"); got != logRate {
		t.Fatalf("logged %d lines after a second, want %d", got, logRate)
	}
}

func TestPluginEnvAllowlist(t *testing.T) {
	env := []string{"PATH=/bin", "AWS_SECRET_ACCESS_KEY=x", "LC_ALL=C", "HOME=/root", "GITHUB_TOKEN=t", "MY_VAR=1", "BROKEN"}
	got := pluginEnv(env, append(DefaultEnvAllow, "MY_*"), []string{"EXTRA=1"})
	want := []string{"PATH=/bin", "LC_ALL=C", "HOME=/root", "MY_VAR=1", "EXTRA=1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// FuzzStderrReader feeds arbitrary plugin stderr to the reader: it must not
// panic, and what it keeps stays within its caps.
func FuzzStderrReader(f *testing.F) {
	f.Add([]byte(`{"@level":"info","@message":"hi","k":[1,{"a":null}]}` + "\n"))
	f.Add([]byte("panic: boom\n\x00\xff\n[WARN]\n{\n"))
	f.Add([]byte(strings.Repeat("z", 20000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newStderrReader(hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Trace}))
		s.run(io.NopCloser(bytes.NewReader(data)))
		tail := s.Tail()
		if len(tail) > tailLines {
			t.Fatalf("tail has %d lines", len(tail))
		}
		for _, l := range tail {
			if len(l) > tailWidth+len("…") {
				t.Fatalf("tail line of %d bytes", len(l))
			}
		}
	})
}
