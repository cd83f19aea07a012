// Package command uses a local program as a black-box prediction source.
//
// The program is started from an argv string split the way a POSIX shell
// splits words (github.com/google/shlex: quotes and backslashes work), and
// run directly, never through a shell. Batches travel as NumPy .npy arrays:
//
//   - for each batch the plugin writes one complete .npy array to the
//     program's stdin: format 1.0, little-endian, C order, dtype float32 or
//     float64 (as the caller sent it), shape (n, *input_shape);
//   - the program answers with one complete .npy array on stdout and
//     flushes it: shape (n, nb_classes) probabilities or logits, or (n,)
//     class labels, of any float, integer or bool dtype;
//   - arrays follow each other with nothing in between; each is
//     self-delimiting through its header, so a program that keeps running
//     reads one array, answers, and loops until stdin reaches end of file,
//     then exits 0. (In Python, read with numpy.lib.format.read_array on an
//     object whose only method is read, so numpy reads exactly one array
//     from the pipe.)
//   - a program that exits after answering one batch also works: it is
//     started again for the next batch, at the cost of a start per batch.
//
// If the program dies or closes stdout before a complete answer, it is
// restarted and the batch sent once more; a second death on the same batch
// is an Unavailable error with the exit status and the last lines the
// program wrote to stderr (which is otherwise logged at debug level). An
// answer that is not a valid .npy array, or a batch that overruns the
// timeout, kills the program, since the stream can no longer be trusted.
package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/arthost/arthost/plugins/blackbox/internal/npyarr"
	"github.com/arthost/arthost/shared/tensor"
)

const (
	// maxAnswerBytes matches the plugin's gRPC message cap.
	maxAnswerBytes = 256 << 20
	// exitGrace is how long a program that closed its stdout, or was
	// asked to stop, gets to exit before it is killed.
	exitGrace = 2 * time.Second
	// stderrLines is how many of the program's last stderr lines an error
	// quotes.
	stderrLines = 5
)

// Config says what to run.
type Config struct {
	Command string        // argv as one string
	Timeout time.Duration // per batch; 0 means only the caller's deadline
	Logger  hclog.Logger  // nil discards
}

// Source runs one program and sends it one batch at a time. It is safe
// for concurrent use; batches are serialised.
type Source struct {
	argv    []string
	timeout time.Duration
	log     hclog.Logger

	mu       sync.Mutex
	proc     *process
	starts   int
	answered int
}

// New splits cfg.Command into argv and checks the program exists; the
// program is started on the first batch.
func New(cfg Config) (*Source, error) {
	argv, err := shlex.Split(cfg.Command)
	if err != nil {
		return nil, fmt.Errorf("command: cannot split the command line into words (it is not shown: it may hold secrets): %v", err)
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("command: empty")
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("command: program %q: %v", argv[0], errors.Unwrap(err))
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Source{argv: argv, timeout: cfg.Timeout, log: log}, nil
}

// Program is the program's name (argv[0]); the arguments may hold secrets
// and are not shown.
func (s *Source) Program() string { return s.argv[0] }

// Starts is how many times the program has been started.
func (s *Source) Starts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

// Query sends x to the program and returns its answer.
func (s *Source) Query(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var died error
	for try := 0; try < 2; try++ {
		if s.proc == nil || s.proc.exited() {
			if s.proc != nil {
				s.log.Debug("command exited; starting it again", "program", s.argv[0], "status", s.proc.status())
				s.proc.stop()
			}
			p, err := start(s.argv, s.log)
			if err != nil {
				return tensor.Tensor{}, status.Errorf(codes.Unavailable, "command %q: start: %v", s.argv[0], err)
			}
			s.proc = p
			s.starts++
		}
		y, err := s.proc.exchange(ctx, x)
		if err == nil {
			s.answered++
			return y, nil
		}
		if ctx.Err() != nil {
			s.proc.stop()
			s.proc = nil
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return tensor.Tensor{}, status.Errorf(codes.DeadlineExceeded, "command %q: no answer to a batch of %d in time; program killed", s.argv[0], x.Rows())
			}
			return tensor.Tensor{}, status.FromContextError(ctx.Err()).Err()
		}
		var d *diedError
		if !errors.As(err, &d) {
			s.proc.stop()
			s.proc = nil
			return tensor.Tensor{}, fmt.Errorf("command %q: %w; program killed", s.argv[0], err)
		}
		died = d
		s.log.Warn("command died during a batch; restarting it", "program", s.argv[0], "rows", x.Rows(), "status", d.status)
		s.proc.stop()
		s.proc = nil
	}
	return tensor.Tensor{}, status.Errorf(codes.Unavailable, "command %q died twice on a batch of %d rows: %v", s.argv[0], x.Rows(), died)
}

// Close asks the program to exit by closing its stdin, and kills it if it
// has not exited after a grace period.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.stop()
		s.proc = nil
	}
	return nil
}

// diedError says the program ended before answering.
type diedError struct {
	status string
	stderr string
}

func (e *diedError) Error() string {
	if e.stderr == "" {
		return e.status
	}
	return e.status + "; stderr: " + e.stderr
}

// process is one running instance of the program.
type process struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	pipe   *os.File // read end of stdout, ours to close
	stdout *bufio.Reader
	done   chan struct{} // closed when the program has exited
	err    error         // exit status, valid after done
	tail   *tail
}

func start(argv []string, log hclog.Logger) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	setProcessAttrs(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// Our own pipes, not cmd.StdoutPipe: Wait would close that one when
	// the program exits, losing an answer a one-shot program wrote just
	// before exiting.
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		return nil, err
	}
	stderr, stderrW, err := os.Pipe()
	if err != nil {
		stdin.Close()
		stdout.Close()
		stdoutW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	err = cmd.Start()
	stdoutW.Close()
	stderrW.Close()
	if err != nil {
		stdin.Close()
		stdout.Close()
		stderr.Close()
		return nil, err
	}
	p := &process{cmd: cmd, stdin: stdin, pipe: stdout, stdout: bufio.NewReaderSize(stdout, 1<<16), done: make(chan struct{}), tail: &tail{max: stderrLines}}
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		defer stderr.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			p.tail.add(sc.Text())
			log.Debug("command stderr", "program", argv[0], "line", sc.Text())
		}
	}()
	go func() {
		<-stderrDone // Wait closes the pipes: read stderr to the end first
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) status() string {
	<-p.done
	if p.err == nil {
		return "exit status 0"
	}
	return p.err.Error()
}

// exchange writes x and reads one answer. The write runs beside the read,
// so a program that answers row by row cannot deadlock on a full pipe.
func (p *process) exchange(ctx context.Context, x tensor.Tensor) (tensor.Tensor, error) {
	stop := context.AfterFunc(ctx, p.kill)
	defer stop()
	werr := make(chan error, 1)
	go func() { werr <- npyarr.Write(p.stdin, x) }()
	y, rerr := npyarr.Read(p.stdout, maxAnswerBytes)
	if rerr == nil {
		select {
		case err := <-werr:
			if err != nil {
				return tensor.Tensor{}, fmt.Errorf("write batch: %v", err)
			}
			return y, nil
		case <-ctx.Done(): // answered before reading the whole batch
			return tensor.Tensor{}, ctx.Err()
		}
	}
	// The program ended or closed stdout without a complete answer.
	if errors.Is(rerr, io.ErrUnexpectedEOF) || errors.Is(rerr, io.EOF) {
		if !p.exitedWithin(exitGrace) {
			p.kill()
		}
		return tensor.Tensor{}, &diedError{status: p.status(), stderr: p.tail.String()}
	}
	return tensor.Tensor{}, fmt.Errorf("answer is not a .npy array: %v", rerr)
}

func (p *process) exitedWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// kill ends the program and everything it started.
func (p *process) kill() { killGroup(p.cmd) }

// stop closes stdin, waits a grace period for the program to exit, then
// kills it, and releases its pipes.
func (p *process) stop() {
	p.stdin.Close()
	if !p.exitedWithin(exitGrace) {
		p.kill()
		<-p.done
	}
	p.pipe.Close()
}

// tail keeps the last lines a program wrote to stderr.
type tail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, " | ")
}
