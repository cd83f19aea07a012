package sdktest

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// failClaimed reports a failed call of a method the capability flags
// claim, naming the lying flag when the plugin answered Unimplemented.
func (k *checker) failClaimed(name, flag string, err error) {
	if status.Code(err) == codes.Unimplemented {
		k.fail(name, "capability flag %s is true but the call answered Unimplemented (%s)", flag, status.Convert(err).Message())
		return
	}
	k.fail(name, "%v", err)
}
