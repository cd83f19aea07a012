package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host/discovery"
)

func newPluginsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plugins [--json]",
		Short: "List the plugins found, in search order",
		Long: `List the plugin executables (arthost-plugin-NAME) found in, in order: each
--plugin-dir, each entry of ARTHOST_PLUGIN_PATH, the folder of the arthost
binary, and ~/.arthost/plugins. The first found wins; later ones are shown as
shadowed.`,
		Example: "  arthost plugins --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dirs := g.dirs()
			found := discovery.List(dirs)
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					SearchPath []string           `json:"search_path"`
					Plugins    []discovery.Plugin `json:"plugins"`
				}{dirs, append([]discovery.Plugin{}, found...)})
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPATH")
			for _, p := range found {
				fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Path)
				for _, s := range p.Shadowed {
					fmt.Fprintf(tw, "\t(shadowed: %s)\n", s)
				}
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(found) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "no plugins found in %v\n", dirs)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newPluginsTestCmd(g), newPluginsLockCmd(g))
	return cmd
}
