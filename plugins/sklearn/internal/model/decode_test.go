package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// small is a valid export of every kind of node the bad cases below edit.
const small = `{"format":"arthost-sklearn","version":1,"sklearn_version":"1.2.1","n_features":2,"classes":[0,1],
"model":{"type":"Pipeline","steps":[{"type":"StandardScaler","mean":[0.5,1.0],"scale":[2.0,1.0]}],
"final":{"type":"LogisticRegression","multi_class":"ovr","coef":[[1.0,-2.0]],"intercept":[0.25]}}}`

const smallTree = `{"format":"arthost-sklearn","version":1,"n_features":2,"classes":["a","b"],
"model":{"type":"DecisionTreeClassifier","children_left":[1,-1,-1],"children_right":[2,-1,-1],
"feature":[0,-2,-2],"threshold":[0.5,-2,-2],"value":[[3,3],[3,0],[0,3]]}}`

func TestLoadValid(t *testing.T) {
	for name, doc := range map[string]string{"pipeline": small, "tree": smallTree} {
		e, err := Load([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Model.NumFeatures() != 2 || e.Model.NumClasses() != 2 {
			t.Errorf("%s: %d features %d classes", name, e.Model.NumFeatures(), e.Model.NumClasses())
		}
	}
}

func TestLoadRefusesBadExports(t *testing.T) {
	cases := []struct {
		name, doc, want string
	}{
		{"empty", ``, "invalid JSON"},
		{"null", `null`, "want an object"},
		{"not json", `{"format":`, "invalid JSON"},
		{"wrong format", strings.Replace(small, `"arthost-sklearn"`, `"onnx"`, 1), `format "onnx"`},
		{"unknown version", strings.Replace(small, `"version":1`, `"version":2`, 1), "version 2 not supported"},
		{"missing version", strings.Replace(small, `"version":1,`, ``, 1), "version: missing"},
		{"missing model", `{"format":"arthost-sklearn","version":1,"n_features":2,"classes":[0,1]}`, "model: missing"},
		{"missing coef", strings.Replace(small, `"coef":[[1.0,-2.0]],`, ``, 1), "model.final.coef: missing"},
		{"null intercept", strings.Replace(small, `"intercept":[0.25]`, `"intercept":null`, 1), "intercept: missing (null)"},
		{"wrong coef length", strings.Replace(small, `[[1.0,-2.0]]`, `[[1.0,-2.0,3.0]]`, 1), "coef[0]: length 3, want 2"},
		{"wrong coef rows", strings.Replace(small, `[[1.0,-2.0]]`, `[[1.0,-2.0],[1,1]]`, 1), "coef: length 2, want 1"},
		{"NaN coefficient", strings.Replace(small, `-2.0`, `NaN`, 1), "NaN and Infinity are not allowed"},
		{"huge coefficient", strings.Replace(small, `-2.0`, `1e999`, 1), "coef"},
		{"string coefficient", strings.Replace(small, `-2.0`, `"x"`, 1), "JSON string where float64 is wanted"},
		{"unknown field", strings.Replace(small, `"multi_class":"ovr",`, `"multi_class":"ovr","penalty":"l2",`, 1), "unknown field penalty"},
		{"unknown type", strings.Replace(small, `"LogisticRegression"`, `"KNeighborsClassifier"`, 1), `unknown model type "KNeighborsClassifier"`},
		{"bad multi_class", strings.Replace(small, `"ovr"`, `"auto"`, 1), `"auto", want one of ovr, multinomial`},
		{"zero scale", strings.Replace(small, `"scale":[2.0,1.0]`, `"scale":[0,1.0]`, 1), "zero scale"},
		{"one class", strings.Replace(small, `"classes":[0,1]`, `"classes":[0]`, 1), "1 classes"},
		{"bad n_features", strings.Replace(small, `"n_features":2`, `"n_features":0`, 1), "n_features: 0"},
		{"child out of range", strings.Replace(smallTree, `"children_left":[1,-1,-1]`, `"children_left":[7,-1,-1]`, 1), "child 7 outside the tree"},
		{"negative child", strings.Replace(smallTree, `"children_left":[1,-1,-1]`, `"children_left":[-5,-1,-1]`, 1), "child -5 outside the tree"},
		{"child is root", strings.Replace(smallTree, `"children_left":[1,-1,-1]`, `"children_left":[0,-1,-1]`, 1), "child 0 outside the tree"},
		{"shared child", strings.Replace(smallTree, `"children_right":[2,-1,-1]`, `"children_right":[1,-1,-1]`, 1), "node 1 reached twice"},
		{"loop", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"DecisionTreeClassifier",
			"children_left":[1,1,-1,-1],"children_right":[2,3,-1,-1],"feature":[0,0,-2,-2],"threshold":[0,0,0,0],
			"value":[[1,1],[1,1],[1,1],[1,1]]}}`, "node 1 reached twice"},
		{"orphan cycle", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"DecisionTreeClassifier",
			"children_left":[-1,2,1,-1,-1],"children_right":[-1,3,4,-1,-1],"feature":[-2,0,0,-2,-2],"threshold":[0,0,0,0,0],
			"value":[[1,1],[1,1],[1,1],[1,1],[1,1]]}}`, "4 of 5 nodes unreachable"},
		{"tree feature out of range", strings.Replace(smallTree, `"feature":[0,-2,-2]`, `"feature":[5,-2,-2]`, 1), "splits on feature 5"},
		{"tree value length", strings.Replace(smallTree, `[[3,3],[3,0],[0,3]]`, `[[3,3],[3,0]]`, 1), "value: length 2, want 3"},
		{"negative class weight", strings.Replace(smallTree, `[0,3]]`, `[0,-3]]`, 1), "negative class weight"},
		{"svc without support vectors", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"SVC",
			"kernel":"rbf","gamma":1,"coef0":0,"degree":3,"n_support":[0,0],"support_vectors":[],"dual_coef":[[]],"intercept":[0],
			"decision_function_shape":"ovr","break_ties":false,"probability":false}}`, "no support vectors"},
		{"svc prob without prob_a", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"SVC",
			"kernel":"rbf","gamma":1,"coef0":0,"degree":3,"n_support":[1,1],"support_vectors":[[0],[1]],"dual_coef":[[1,-1]],"intercept":[0],
			"decision_function_shape":"ovr","break_ties":false,"probability":true}}`, "prob_a: missing"},
		{"forest of svcs", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"RandomForestClassifier",
			"estimators":[{"type":"GaussianNB","class_prior":[0.5,0.5],"theta":[[0],[1]],"var":[[1],[1]]}]}}`, "a forest holds DecisionTreeClassifier"},
		{"bagging feature out of range", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"BaggingClassifier",
			"estimators":[{"classes":[0,1],"features":[3],"model":{"type":"GaussianNB","class_prior":[0.5,0.5],"theta":[[0],[1]],"var":[[1],[1]]}}]}}`, "features[0]: column 3"},
		{"gnb zero variance", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"GaussianNB",
			"class_prior":[0.5,0.5],"theta":[[0],[1]],"var":[[1],[0]]}}`, "variance 0"},
		{"mlp wrong output width", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1],"model":{"type":"MLPClassifier",
			"activation":"relu","out_activation":"logistic","coefs":[[[1,2]]],"intercepts":[[0,0]]}}`, "2 outputs, want 1"},
		{"gb stage width", `{"format":"arthost-sklearn","version":1,"n_features":1,"classes":[0,1,2],"model":{"type":"GradientBoostingClassifier",
			"loss":"log_loss","learning_rate":0.1,"init":{"kind":"zero"},"estimators":[[{"children_left":[-1],"children_right":[-1],"feature":[-2],"threshold":[-2],"value":[0.5]}]]}}`, "length 1, want 3"},
		{"threshold length", strings.Replace(smallTree, `"threshold":[0.5,-2,-2]`, `"threshold":[0.5]`, 1), "threshold: length 1, want 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := Load([]byte(c.doc))
			if err == nil {
				t.Fatalf("loaded %v, want error containing %q", e, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/models/*.json")
	if len(paths) == 0 {
		t.Skip("no fixtures")
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		e, err := Load(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out, err := Marshal(e)
		if err != nil {
			t.Fatalf("%s: marshal: %v", p, err)
		}
		e2, err := Load(out)
		if err != nil {
			t.Fatalf("%s: reload: %v", p, err)
		}
		// The same document, compared as parsed JSON (floats exactly).
		var a, b any
		_ = json.Unmarshal(data, &a)
		_ = json.Unmarshal(out, &b)
		if !jsonEqual(a, b) {
			t.Errorf("%s: Marshal(Load(x)) differs from x", filepath.Base(p))
		}
		_ = e2
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(smallTree))
	for _, name := range []string{"iris__bagging_tree", "iris__adaboost_sammer", "iris__gradient_boosting",
		"iris__svc_rbf_prob", "iris__mlp_tanh", "breast_cancer__pipe_std_minmax_tree", "iris__gaussian_nb"} {
		if data, err := os.ReadFile("../../testdata/models/" + name + ".json"); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Load(data)
		if err != nil {
			return
		}
		// Whatever loads must run without panicking.
		m := e.Model
		d, k := m.NumFeatures(), m.NumClasses()
		if d > 1<<12 {
			return
		}
		x := make([]float64, 2*d)
		for i := range x {
			x[i] = float64(i%7) - 3
		}
		lab := make([]int, 2)
		m.Predict(x, 2, lab)
		if m.HasProba() {
			m.Proba(x, 2, make([]float64, 2*k))
		}
		if w := m.DecisionWidth(); w > 0 {
			m.Decision(x, 2, make([]float64, 2*w))
			m.Logits(x, 2, make([]float64, 2*k))
		}
		if m.GradKind() != GradNone {
			var s Scratch
			ClassJacobian(m, x[:d], &s, make([]float64, k*d))
		}
		if _, err := Marshal(e); err != nil {
			t.Fatalf("marshal of a loaded export: %v", err)
		}
	})
}
