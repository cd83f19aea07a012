package supervise

import (
	"errors"

	"google.golang.org/grpc/codes"

	"github.com/arthost/arthost/host"
)

// MemberFailure reports whether an ensemble member's error is a failure of
// that member (its plugin crashed, hung, is quarantined, or met a poison
// input) rather than a problem with the call itself, which every member
// would share (bad shape, bad labels, a cancelled context). Under the
// degrade policy an ensemble leaves out members whose error is a member
// failure, renormalises the weights of the rest, and says so; any other
// error fails the call under both policies.
func MemberFailure(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrPoisonInput) || errors.Is(err, ErrQuarantined) {
		return true
	}
	switch host.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.ResourceExhausted:
		return true
	}
	return false
}
