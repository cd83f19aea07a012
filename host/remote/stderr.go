package remote

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
)

// Limits of the plugin stderr reader. A plugin can write anything to its
// stderr; none of it may stall, flood or crash the host.
const (
	// maxLogLine is the longest line logged; the rest of a longer line is
	// read and dropped.
	maxLogLine = 8 << 10
	// logBurst lines may be logged at once, then logRate per second; the
	// rest are counted and reported as dropped.
	logBurst = 200
	logRate  = 100
	// maxLogFields bounds the key-value pairs kept from one JSON line.
	maxLogFields = 32
	// tailLines are kept for error messages about a dead plugin.
	tailLines = 10
	tailWidth = 300
)

// stderrReader logs a plugin's stderr line by line, tagged with the
// plugin's name and pid. go-plugin's own parser is bypassed because a
// malformed line can panic it; this one accepts hclog JSON, plain text with
// an optional [LEVEL] prefix, and arbitrary bytes.
type stderrReader struct {
	log hclog.Logger
	now func() time.Time

	tokens  float64
	last    time.Time
	dropped int
	inPanic bool

	mu   sync.Mutex
	tail []string
}

func newStderrReader(log hclog.Logger) *stderrReader {
	return &stderrReader{log: log, now: time.Now, tokens: logBurst}
}

// run reads r to its end, then closes it.
func (s *stderrReader) run(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, maxLogLine)
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			s.line(line)
		}
		if err != nil {
			break
		}
	}
	if s.dropped > 0 {
		s.log.Warn("plugin log lines dropped (rate limit)", "dropped", s.dropped)
	}
}

// readLine returns the next line without its newline, at most maxLogLine
// bytes of it; io.EOF comes with the last, unterminated line.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		line = append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		line = append(line, "…(truncated)"...)
	}
	return trimEOL(line), err
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// line logs one line, if the rate limit allows, and keeps it in the tail.
func (s *stderrReader) line(raw []byte) {
	text := sanitize(raw)
	if strings.TrimSpace(text) == "" {
		return
	}
	s.remember(text)
	if !s.allow() {
		s.dropped++
		return
	}
	if s.dropped > 0 {
		s.log.Warn("plugin log lines dropped (rate limit)", "dropped", s.dropped)
		s.dropped = 0
	}
	level, msg, kv := s.parse(text)
	s.log.Log(level, msg, kv...)
}

// allow takes a token from the bucket, refilled at logRate per second.
func (s *stderrReader) allow() bool {
	now := s.now()
	if !s.last.IsZero() {
		s.tokens = min(logBurst, s.tokens+now.Sub(s.last).Seconds()*logRate)
	}
	s.last = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// parse reads an hclog JSON line or a plain one. Plain lines are logged at
// debug unless they carry a [LEVEL] prefix or belong to a Go crash report.
func (s *stderrReader) parse(text string) (hclog.Level, string, []any) {
	if strings.HasPrefix(text, "{") {
		if level, msg, kv, ok := parseJSONLine(text); ok {
			return level, msg, kv
		}
	}
	for _, p := range []struct {
		prefix string
		level  hclog.Level
	}{{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info}, {"[WARN]", hclog.Warn}, {"[ERROR]", hclog.Error}} {
		if strings.HasPrefix(text, p.prefix) {
			return p.level, strings.TrimSpace(text[len(p.prefix):]), nil
		}
	}
	if strings.HasPrefix(text, "panic: ") || strings.HasPrefix(text, "fatal error: ") || strings.HasPrefix(text, "SIG") {
		s.inPanic = true
	}
	if s.inPanic {
		return hclog.Error, text, nil
	}
	return hclog.Debug, text, nil
}

// parseJSONLine reads hclog's JSON format; any other JSON is not a log line.
func parseJSONLine(text string) (hclog.Level, string, []any, bool) {
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return 0, "", nil, false
	}
	msg, ok := m["@message"].(string)
	if !ok {
		return 0, "", nil, false
	}
	level := hclog.Info
	if l, ok := m["@level"].(string); ok {
		if lv := hclog.LevelFromString(l); lv != hclog.NoLevel && lv != hclog.Off {
			level = lv
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var kv []any
	for _, k := range keys[:min(len(keys), maxLogFields)] {
		kv = append(kv, sanitize([]byte(k)), sanitize([]byte(fmt.Sprint(m[k]))))
	}
	return level, sanitize([]byte(msg)), kv, true
}

// sanitize makes b printable: valid UTF-8, control characters as '?', at
// most maxLogLine bytes.
func sanitize(b []byte) string {
	if len(b) > maxLogLine+len("…(truncated)") {
		b = b[:maxLogLine]
	}
	s := strings.ToValidUTF8(string(b), "?")
	return strings.Map(func(r rune) rune {
		if r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return '?'
	}, s)
}

func (s *stderrReader) remember(text string) {
	if len(text) > tailWidth {
		cut := tailWidth
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail = append(s.tail, text)
	if len(s.tail) > tailLines {
		s.tail = s.tail[len(s.tail)-tailLines:]
	}
}

// Tail returns the last lines the plugin wrote to stderr.
func (s *stderrReader) Tail() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tail...)
}
