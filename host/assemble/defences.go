package assemble

import (
	"fmt"

	"github.com/arthost/arthost/host/config"
	"github.com/arthost/arthost/host/pipeline"
)

// newPreprocessor and newPostprocessor build a configured defence.
// (They are wired to host/defences once that package lands.)
func newPreprocessor(d config.Defence, channelsFirst bool) (pipeline.Preprocessor, error) {
	return nil, fmt.Errorf("unknown defence %q", d.Name)
}

func newPostprocessor(d config.Defence) (pipeline.Postprocessor, error) {
	return nil, fmt.Errorf("unknown defence %q", d.Name)
}
