package sdk

import (
	"github.com/arthost/arthost/shared"
	"github.com/arthost/arthost/shared/estimatorv1"
	"github.com/arthost/arthost/shared/tensor"
)

// describe converts a Description to the wire, computing the capability
// flags from the interfaces the estimator implements less those withheld.
func (s *server) describe(d Description) *estimatorv1.Description {
	has := func(c Capability, implemented bool) bool { return implemented && !withheld(&d, c) }
	_, unc := s.impl.(UncertaintyPredictor)
	_, loss := s.impl.(Losser)
	_, lg := s.impl.(LossGradienter)
	_, cg := s.impl.(ClassGradienter)
	_, act := s.impl.(Activator)
	_, fit := s.impl.(Fitter)
	_, save := s.impl.(Saver)
	p := &estimatorv1.Description{
		Name:          d.Name,
		Version:       d.Version,
		Framework:     d.Framework,
		NbClasses:     int64(d.NbClasses),
		ChannelsFirst: d.ChannelsFirst,
		ClipMin:       d.ClipMin,
		ClipMax:       d.ClipMax,
		Layers:        d.Layers,
		Info:          d.Info,
		NativeDtype:   dtypeToProto(d.NativeDType),
		Capabilities: &estimatorv1.Capabilities{
			PredictUncertainty: has(CapPredictUncertainty, unc),
			Loss:               has(CapLoss, loss),
			LossGradient:       has(CapLossGradient, lg),
			ClassGradient:      has(CapClassGradient, cg),
			Activations:        has(CapActivations, act),
			Fit:                has(CapFit, fit),
			Save:               has(CapSave, save),
			GradientsEstimated: d.GradientsEstimated,
			SharedMemory:       s.spool != nil,
		},
		ProtocolVersion: shared.ProtocolVersion,
	}
	for _, v := range d.InputShape {
		p.InputShape = append(p.InputShape, int64(v))
	}
	switch d.Output {
	case OutputLogits:
		p.Output = estimatorv1.OutputKind_OUTPUT_KIND_LOGITS
	case OutputProbabilities:
		p.Output = estimatorv1.OutputKind_OUTPUT_KIND_PROBABILITIES
	}
	return p
}

func dtypeToProto(d tensor.DType) estimatorv1.DType {
	switch d {
	case tensor.Float32:
		return estimatorv1.DType_DTYPE_FLOAT32
	case tensor.Float64:
		return estimatorv1.DType_DTYPE_FLOAT64
	case tensor.Int64:
		return estimatorv1.DType_DTYPE_INT64
	}
	return estimatorv1.DType_DTYPE_UNSPECIFIED
}

func progressToProto(p FitProgress, done bool) *estimatorv1.FitProgress {
	return &estimatorv1.FitProgress{
		Epoch: int64(p.Epoch), Epochs: int64(p.Epochs), Step: int64(p.Step), Steps: int64(p.Steps),
		Loss: p.Loss, Accuracy: p.Accuracy, Message: p.Message, Done: done,
	}
}
