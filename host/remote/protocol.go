package remote

import (
	"regexp"
	"strconv"
)

// goPluginVersionMismatch matches go-plugin's handshake error when the
// plugin announces an app protocol version the host did not offer
// (go-plugin v1.8.0 client.go checkProtoVersion; it has no typed error).
var goPluginVersionMismatch = regexp.MustCompile(`incompatible API version with plugin\. Plugin version: (-?\d+)`)

// protocolMismatch returns the version a plugin announced when err is
// go-plugin's version-mismatch error.
func protocolMismatch(err error) (int, bool) {
	if err == nil {
		return 0, false
	}
	m := goPluginVersionMismatch.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	v, err := strconv.Atoi(m[1])
	return v, err == nil
}
