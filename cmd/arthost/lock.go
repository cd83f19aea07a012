package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host/discovery"
	"github.com/arthost/arthost/host/lockfile"
)

func newPluginsLockCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "lock [--output arthost.lock]",
		Short: "Write the sha256 of every plugin found to a lock file",
		Long: `Write arthost.lock: the sha256 of each plugin executable found on the search
path (shadowed ones excluded). When a lock file is in use (--lock, or
arthost.lock in the working folder), a plugin is launched only if it is listed
and its executable still has the locked checksum.`,
		Example: "  arthost plugins lock && arthost predict --plugin linear --model m.json --input x.npy --output y.npy",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			paths := map[string]string{}
			for _, p := range discovery.List(g.dirs()) {
				paths[p.Name] = p.Path
			}
			if len(paths) == 0 {
				return fmt.Errorf("no plugins found in %v: nothing to lock", g.dirs())
			}
			f, err := lockfile.New(paths)
			if err != nil {
				return err
			}
			if err := f.Write(output); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "locked %d plugins in %s\n", len(paths), output)
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", lockfile.Name, "where to write the lock file")
	return cmd
}

// readLock returns the lock file to enforce: path when given, else
// arthost.lock in the working folder when it exists, else none.
func readLock(path string) (*lockfile.File, error) {
	if path == "" {
		if _, err := os.Stat(lockfile.Name); err != nil {
			return nil, nil
		}
		path = lockfile.Name
	}
	return lockfile.Read(path)
}
