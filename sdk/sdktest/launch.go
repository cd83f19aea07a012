package sdktest

import (
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/arthost/arthost/shared/estimatorv1"
)

// Plugin is a launched plugin process.
type Plugin struct {
	Client  estimatorv1.EstimatorClient
	Version int
	Pid     int
	client  *plugin.Client
}

// Kill stops the process.
func (p *Plugin) Kill() { p.client.Kill() }

// Exited reports whether the process has ended.
func (p *Plugin) Exited() bool { return p.client.Exited() }

// Launch starts the plugin executable at path through go-plugin, as the
// host does (gRPC, the arthost handshake, AutoMTLS unless disabled), with
// go-plugin's warnings on stderr.
func Launch(path string, disableMTLS bool) (*Plugin, error) {
	return LaunchWith(path, LaunchOptions{DisableMTLS: disableMTLS,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "sdktest", Level: hclog.Warn})})
}
