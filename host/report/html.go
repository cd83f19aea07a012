package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Files written by Write, relative to the report folder.
const (
	JSONFile = "report.json"
	HTMLFile = "report.html"
)

// Write saves rep in dir (created if needed): report.json, report.html,
// accuracy-<estimator>.png for each estimator and, for image data,
// examples-<estimator>.png. The page refers only to those files.
func Write(dir string, rep *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, JSONFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	page := pageData{Report: rep}
	used := map[string]bool{}
	for _, e := range rep.Estimators {
		slug := unique(slugify(e.Name), used)
		s := section{EstimatorResult: e}
		if len(e.Results) > 0 {
			s.AccuracyPNG = "accuracy-" + slug + ".png"
			if err := accuracyPlot(e, filepath.Join(dir, s.AccuracyPNG)); err != nil {
				return fmt.Errorf("report %s: accuracy plot: %w", e.Name, err)
			}
		}
		if e.Examples != nil && len(e.Examples.Images) > 0 && len(e.Examples.Images[0]) > 0 {
			s.ExamplesPNG = "examples-" + slug + ".png"
			if err := examplesPlot(e.Examples, rep.Data.Shape, filepath.Join(dir, s.ExamplesPNG)); err != nil {
				return fmt.Errorf("report %s: examples plot: %w", e.Name, err)
			}
		}
		page.Sections = append(page.Sections, s)
	}
	f, err := os.Create(filepath.Join(dir, HTMLFile))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := pageTemplate.Execute(f, page); err != nil {
		f.Close()
		return fmt.Errorf("report: html: %w", err)
	}
	return f.Close()
}

type pageData struct {
	*Report
	Sections []section
}

type section struct {
	EstimatorResult
	AccuracyPNG, ExamplesPNG string
}

var nonSlug = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func slugify(name string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(name, "-"), "-")
	if s == "" {
		s = "estimator"
	}
	return s
}

func unique(s string, used map[string]bool) string {
	out := s
	for i := 2; used[out]; i++ {
		out = fmt.Sprintf("%s-%d", s, i)
	}
	used[out] = true
	return out
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
	"num": func(v float64) string { return fmt.Sprintf("%.4g", v) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>arthost robustness report</title>
<style>
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; }
td.l, th.l { text-align: left; }
img { max-width: 100%; }
.note { color: #666; font-size: 0.9em; }
</style>
</head>
<body>
<h1>Robustness report</h1>
<p class="note">Created {{.Created}} on {{.Data.Samples}} samples of shape {{.Data.Shape}}{{if .Data.Source}} from {{.Data.Source}}{{end}}. The numbers are in <a href="report.json">report.json</a>.</p>
<table>
<tr><th class="l">estimator</th><th class="l">plugin</th><th>clean accuracy</th></tr>
{{range .Sections}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Plugin}}</td><td>{{pct .CleanAccuracy}}</td></tr>
{{end}}</table>
{{range .Sections}}
<h2>{{.Name}}</h2>
<p>Clean accuracy {{pct .CleanAccuracy}}{{if .Framework}} ({{.Framework}}){{end}}.</p>
{{range .Skipped}}<p class="note">Skipped {{.}}</p>
{{end}}{{if .AccuracyPNG}}<p><img src="{{.AccuracyPNG}}" alt="accuracy against eps for {{.Name}}"></p>{{end}}
<table>
<tr><th class="l">attack</th><th>norm</th><th>eps</th><th>eps step</th><th>iterations</th><th>accuracy</th><th>success rate</th><th>mean L2</th><th>mean L&infin;</th><th>max L&infin;</th><th>queries</th><th>seconds</th></tr>
{{range .Results}}<tr><td class="l">{{.Attack}}</td><td>{{.Norm}}</td><td>{{num .Eps}}</td><td>{{if .EpsStep}}{{num .EpsStep}}{{end}}</td><td>{{if .MaxIter}}{{.MaxIter}}{{end}}</td><td>{{pct .Accuracy}}</td><td>{{pct .SuccessRate}}</td><td>{{num .MeanL2}}</td><td>{{num .MeanLinf}}</td><td>{{num .MaxLinf}}</td><td>{{.Queries}}</td><td>{{printf "%.2f" .Seconds}}</td></tr>
{{end}}</table>
{{if .ExamplesPNG}}<p><img src="{{.ExamplesPNG}}" alt="original and adversarial examples for {{.Name}}"></p>
<p class="note">Top row: original samples (true class under each column); below, the adversarial versions at each attack's largest eps, with the predicted class in red.</p>{{end}}
{{end}}
</body>
</html>
`))
