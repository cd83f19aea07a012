package model

import "encoding/json"

// Marshal writes e in the export format Load reads. Floats are written in
// the shortest form that parses back to the same float64.
func Marshal(e *Export) ([]byte, error) {
	doc := map[string]any{
		"format":          Format,
		"version":         Version,
		"sklearn_version": e.SklearnVersion,
		"n_features":      e.Model.NumFeatures(),
		"classes":         e.Classes,
		"model":           e.Model.export(),
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
