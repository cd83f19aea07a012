package remote

import (
	"github.com/arthost/arthost/host"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// describe converts the plugin's wire description to the host's.
func describe(cfg Config, p *estimatorv1.Description) host.Description {
	d := host.Description{
		Name:          cfg.Name,
		Plugin:        cfg.Plugin,
		ModelName:     p.GetName(),
		Version:       p.GetVersion(),
		Framework:     p.GetFramework(),
		NbClasses:     int(p.GetNbClasses()),
		ChannelsFirst: p.GetChannelsFirst(),
		ClipMin:       p.GetClipMin(),
		ClipMax:       p.GetClipMax(),
		OutputLogits:  p.GetOutput() == estimatorv1.OutputKind_OUTPUT_KIND_LOGITS,
		Layers:        p.GetLayers(),
		Info:          p.GetInfo(),
	}
	for _, s := range p.GetInputShape() {
		d.InputShape = append(d.InputShape, int(s))
	}
	switch p.GetNativeDtype() {
	case estimatorv1.DType_DTYPE_FLOAT32:
		d.NativeDType = tensor.Float32
	case estimatorv1.DType_DTYPE_FLOAT64:
		d.NativeDType = tensor.Float64
	}
	if c := p.GetCapabilities(); c != nil {
		d.Capabilities = host.Capabilities{
			PredictUncertainty: c.PredictUncertainty,
			Loss:               c.Loss,
			LossGradient:       c.LossGradient,
			ClassGradient:      c.ClassGradient,
			Activations:        c.Activations,
			Fit:                c.Fit,
			Save:               c.Save,
			GradientsEstimated: c.GradientsEstimated,
			SharedMemory:       c.SharedMemory,
		}
	}
	return d
}
