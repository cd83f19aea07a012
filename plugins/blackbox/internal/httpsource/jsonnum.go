package httpsource

import (
	"fmt"
	"math"
	"strconv"
)

// maxNesting bounds the depth of nested arrays in a response; a tensor
// rarely has more than six dimensions, and the parser recurses once per level.
const maxNesting = 32

// parseNumbers appends to dst the numbers of b, a JSON number, true/false,
// or an array of them nested to any depth (row-major), as the v2 protocol
// and TF Serving write tensor data. It refuses more than max values,
// non-finite numbers, strings, objects and nulls.
func parseNumbers(b []byte, dst []float64, max int) ([]float64, error) {
	p := numParser{b: b, out: dst, max: max}
	p.ws()
	if err := p.value(0); err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, fmt.Errorf("unexpected %q after the data at byte %d", p.b[p.i], p.i)
	}
	return p.out, nil
}

type numParser struct {
	b   []byte
	i   int
	out []float64
	max int
}

func (p *numParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *numParser) value(depth int) error {
	if p.i >= len(p.b) {
		return fmt.Errorf("data ends early")
	}
	switch c := p.b[p.i]; {
	case c == '[':
		if depth >= maxNesting {
			return fmt.Errorf("arrays nested deeper than %d", maxNesting)
		}
		return p.array(depth + 1)
	case c == 't' || c == 'f':
		return p.boolean()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	default:
		return fmt.Errorf("unexpected %q at byte %d, want a number or an array", c, p.i)
	}
}

func (p *numParser) array(depth int) error {
	p.i++ // '['
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if err := p.value(depth); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return fmt.Errorf("data ends inside an array")
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return fmt.Errorf("unexpected %q at byte %d in an array", p.b[p.i], p.i)
		}
	}
}

func (p *numParser) push(v float64) error {
	if len(p.out) >= p.max {
		return fmt.Errorf("more than %d values", p.max)
	}
	p.out = append(p.out, v)
	return nil
}

func (p *numParser) boolean() error {
	for _, w := range []string{"true", "false"} {
		if len(p.b)-p.i >= len(w) && string(p.b[p.i:p.i+len(w)]) == w {
			p.i += len(w)
			if w == "true" {
				return p.push(1)
			}
			return p.push(0)
		}
	}
	return fmt.Errorf("unexpected %q at byte %d", p.b[p.i], p.i)
}

func (p *numParser) number() error {
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	s := string(p.b[start:p.i])
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return fmt.Errorf("bad number %q at byte %d", s, start)
	}
	return p.push(v)
}
