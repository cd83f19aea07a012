package assemble

import (
	"github.com/arthost/arthost/host/config"
	"github.com/arthost/arthost/host/defences"
	"github.com/arthost/arthost/host/pipeline"
)

// newPreprocessor builds a configured input defence; channelsFirst (from
// the model behind it) is the default when the defence does not say.
func newPreprocessor(d config.Defence, channelsFirst bool) (pipeline.Preprocessor, error) {
	return defences.NewPreprocessor(d.Name, d.Params, defences.Defaults{ChannelsFirst: channelsFirst})
}

func newPostprocessor(d config.Defence) (pipeline.Postprocessor, error) {
	return defences.NewPostprocessor(d.Name, d.Params)
}
