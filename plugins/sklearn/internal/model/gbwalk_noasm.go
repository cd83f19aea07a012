//go:build !amd64 || noasm

package model

// hasTreeAsm reports whether an assembly tree walk is in use.
const hasTreeAsm = false

func (t *treeTable) add(x []float64, d, b int, acc []float64) { t.addGo(x, d, b, acc) }
