package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/arthost/arthost/host"
)

func newInfoCmd(g *globals) *cobra.Command {
	var est estimatorFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "info ESTIMATOR [--json]",
		Short:   "Describe an estimator: shapes, classes, output kind, layers, capabilities",
		Example: "  arthost info --plugin linear --model model.json --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withEstimator(cmd, g, &est, func(e host.Estimator) error {
				d := e.Describe()
				if asJSON {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(withSupervision(infoJSON(d), e))
				}
				printInfo(cmd, d)
				printSupervision(cmd, e)
				if tree := composition(e, ""); strings.Count(tree, "\n") > 1 {
					fmt.Fprintf(cmd.OutOrStdout(), "composition:\n%s", tree)
				}
				return nil
			})
		},
	}
	est.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type infoDoc struct {
	Name          string            `json:"name"`
	Plugin        string            `json:"plugin"`
	Model         string            `json:"model_name"`
	Version       string            `json:"version"`
	Framework     string            `json:"framework"`
	InputShape    []int             `json:"input_shape"`
	NbClasses     int               `json:"nb_classes"`
	ChannelsFirst bool              `json:"channels_first"`
	ClipValues    [][]float64       `json:"clip_values,omitempty"`
	Output        string            `json:"output"`
	NativeDType   string            `json:"native_dtype"`
	Layers        []string          `json:"layers"`
	Capabilities  map[string]bool   `json:"capabilities"`
	Info          map[string]string `json:"info,omitempty"`
}

func infoJSON(d host.Description) infoDoc {
	doc := infoDoc{
		Name: d.Name, Plugin: d.Plugin, Model: d.ModelName, Version: d.Version, Framework: d.Framework,
		InputShape: d.InputShape, NbClasses: d.NbClasses, ChannelsFirst: d.ChannelsFirst,
		Output: "probabilities", NativeDType: d.NativeDType.String(), Layers: append([]string{}, d.Layers...),
		Capabilities: map[string]bool{}, Info: d.Info,
	}
	if d.OutputLogits {
		doc.Output = "logits"
	}
	if len(d.ClipMin) > 0 {
		doc.ClipValues = [][]float64{d.ClipMin, d.ClipMax}
	}
	for _, m := range []string{"predict_uncertainty", "loss", "loss_gradient", "class_gradient", "activations", "fit", "save"} {
		doc.Capabilities[m] = d.Capabilities.Has(m)
	}
	doc.Capabilities["gradients_estimated"] = d.Capabilities.GradientsEstimated
	return doc
}

// composition draws the tree of pipelines and ensembles behind e.
func composition(e host.Estimator, indent string) string {
	d := e.Describe()
	line := fmt.Sprintf("%s- %s", indent, d.Name)
	switch v := e.(type) {
	case interface{ Members() []host.Estimator }:
		out := line + fmt.Sprintf(" (ensemble, gradient policy %s, member failure %s)\n", d.Info["gradient_policy"], d.Info["member_failure"])
		for _, m := range v.Members() {
			out += composition(m, indent+"    ")
		}
		return out
	case interface{ Inner() host.Estimator }:
		extra := ""
		if pre, post := d.Info["defences.pre"], d.Info["defences.post"]; pre != "" || post != "" {
			extra = fmt.Sprintf(", defences pre %s post %s", pre, post)
		}
		if len(d.ClipMin) > 0 {
			extra += fmt.Sprintf(", clip %v..%v", d.ClipMin, d.ClipMax)
		}
		return line + " (pipeline" + extra + ")\n" + composition(v.Inner(), indent+"    ")
	}
	return line + fmt.Sprintf(" (plugin %s, framework %s, %d classes, gradients %v)\n", d.Plugin, d.Framework, d.NbClasses, d.Capabilities.ClassGradient)
}

func printInfo(cmd *cobra.Command, d host.Description) {
	doc := infoJSON(d)
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "estimator:    %s\n", doc.Name)
	fmt.Fprintf(w, "plugin:       %s (model %q, version %s, framework %s)\n", doc.Plugin, doc.Model, doc.Version, doc.Framework)
	fmt.Fprintf(w, "input shape:  %v (channels first: %v, native dtype %s)\n", doc.InputShape, doc.ChannelsFirst, doc.NativeDType)
	fmt.Fprintf(w, "classes:      %d, output %s\n", doc.NbClasses, doc.Output)
	if doc.ClipValues != nil {
		fmt.Fprintf(w, "clip values:  %v\n", doc.ClipValues)
	}
	var caps []string
	for m, ok := range doc.Capabilities {
		if ok {
			caps = append(caps, m)
		}
	}
	sort.Strings(caps)
	fmt.Fprintf(w, "capabilities: predict %s\n", strings.Join(caps, " "))
	if len(doc.Layers) > 0 {
		fmt.Fprintf(w, "layers:       %d\n", len(doc.Layers))
		for i, l := range doc.Layers {
			fmt.Fprintf(w, "  %3d  %s\n", i, l)
		}
	}
	keys := make([]string, 0, len(doc.Info))
	for k := range doc.Info {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "info %s: %s\n", k, doc.Info[k])
	}
}
