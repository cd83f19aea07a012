package sdktest

import (
	"fmt"
	"os/exec"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/arthost/arthost/shared"
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
// host does (gRPC, the arthost handshake, AutoMTLS unless disabled).
func Launch(path string, disableMTLS bool) (*Plugin, error) {
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{shared.ProtocolVersion: shared.PluginSet(nil)},
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         !disableMTLS,
		GRPCDialOptions:  shared.DialOptions(),
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "sdktest", Level: hclog.Warn}),
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, err
	}
	raw, err := rpc.Dispense(shared.PluginName)
	if err != nil {
		c.Kill()
		return nil, err
	}
	ec, ok := raw.(estimatorv1.EstimatorClient)
	if !ok {
		c.Kill()
		return nil, fmt.Errorf("plugin dispensed %T", raw)
	}
	p := &Plugin{Client: ec, Version: c.NegotiatedVersion(), client: c}
	if rc := c.ReattachConfig(); rc != nil {
		p.Pid = rc.Pid
	}
	return p, nil
}
