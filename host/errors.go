package host

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
)

// Error is what every host estimator returns: it names the estimator and
// the method, and carries a gRPC code callers can branch on (Unimplemented
// for a missing capability, InvalidArgument for bad input, Unavailable for
// a dead plugin, DeadlineExceeded for a call over its deadline).
type Error struct {
	Estimator string
	Method    string
	Code      codes.Code
	Err       error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Estimator, e.Method, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message.
func Errorf(estimator, method string, code codes.Code, format string, args ...any) error {
	return &Error{Estimator: estimator, Method: method, Code: code, Err: fmt.Errorf(format, args...)}
}

// Code returns the code of the first *Error in err's chain, codes.OK for
// nil, and codes.Unknown for any other error.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return codes.Unknown
}

// Require returns an Unimplemented *Error, before any call is made, when
// d lacks the capability method needs.
func Require(d Description, method string) error {
	if d.Capabilities.Has(method) {
		return nil
	}
	return Errorf(d.Name, method, codes.Unimplemented, "not supported by this estimator (plugin %q, framework %q)", d.Plugin, d.Framework)
}
