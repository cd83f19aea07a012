package sdk

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The constructors below return errors that cross the wire with the right
// gRPC status code, so the host can tell a bad input from a crash. Any other
// error a plugin returns is reported as codes.Internal.

// InvalidArgumentf reports a bad input: wrong shape, bad label, NaN, bad option.
func InvalidArgumentf(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}

// FailedPreconditionf reports a call made in the wrong state (no model loaded).
func FailedPreconditionf(format string, args ...any) error {
	return status.Error(codes.FailedPrecondition, fmt.Sprintf(format, args...))
}

// Unimplementedf reports a method this model cannot answer.
func Unimplementedf(format string, args ...any) error {
	return status.Error(codes.Unimplemented, fmt.Sprintf(format, args...))
}

// ResourceExhaustedf reports a size cap or a spent budget.
func ResourceExhaustedf(format string, args ...any) error {
	return status.Error(codes.ResourceExhausted, fmt.Sprintf(format, args...))
}

// Unavailablef reports a backend (server, subprocess) that cannot be reached.
func Unavailablef(format string, args ...any) error {
	return status.Error(codes.Unavailable, fmt.Sprintf(format, args...))
}
