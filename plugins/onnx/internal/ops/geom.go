package ops

import "fmt"

// geom is the spatial geometry shared by Conv, ConvTranspose and pooling:
// per spatial axis the kernel size, stride, dilation and padding.
type geom struct {
	kernel, strides, dil, padBegin, padEnd []int
	autoPad                                string
	ceil                                   bool
}

// readGeom reads kernel_shape (or uses kernel), strides, dilations, pads
// and auto_pad for nsp spatial axes.
func readGeom(n *Node, nsp int, kernel []int) (*geom, error) {
	g := &geom{kernel: n.Attrs.Ints("kernel_shape"), strides: n.Attrs.Ints("strides"),
		dil: n.Attrs.Ints("dilations"), autoPad: n.Attrs.String("auto_pad", "NOTSET"),
		ceil: n.Attrs.Int("ceil_mode", 0) != 0}
	if g.kernel == nil {
		g.kernel = kernel
	}
	if len(g.kernel) != nsp {
		return nil, fmt.Errorf("kernel_shape %v does not have %d spatial dims", g.kernel, nsp)
	}
	g.strides = defaultInts(g.strides, nsp, 1)
	g.dil = defaultInts(g.dil, nsp, 1)
	pads := n.Attrs.Ints("pads")
	if pads == nil {
		pads = make([]int, 2*nsp)
	}
	if len(g.strides) != nsp || len(g.dil) != nsp || len(pads) != 2*nsp {
		return nil, fmt.Errorf("strides %v, dilations %v or pads %v do not match %d spatial dims", g.strides, g.dil, pads, nsp)
	}
	g.padBegin, g.padEnd = pads[:nsp], pads[nsp:]
	for i := 0; i < nsp; i++ {
		if g.kernel[i] <= 0 || g.strides[i] <= 0 || g.dil[i] <= 0 || g.padBegin[i] < 0 || g.padEnd[i] < 0 {
			return nil, fmt.Errorf("invalid geometry: kernel %v strides %v dilations %v pads %v", g.kernel, g.strides, g.dil, pads)
		}
	}
	switch g.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "":
	default:
		return nil, fmt.Errorf("unknown auto_pad %q", g.autoPad)
	}
	return g, n.Attrs.Err()
}

func defaultInts(v []int, n, def int) []int {
	if v != nil {
		return v
	}
	v = make([]int, n)
	for i := range v {
		v[i] = def
	}
	return v
}

// outShape returns the output spatial size for input spatial size in and
// the effective pads (auto_pad resolved).
func (g *geom) outShape(in []int) (out, pb, pe []int, err error) {
	nsp := len(g.kernel)
	out, pb, pe = make([]int, nsp), make([]int, nsp), make([]int, nsp)
	for i := 0; i < nsp; i++ {
		ek := (g.kernel[i]-1)*g.dil[i] + 1
		switch g.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			out[i] = (in[i] + g.strides[i] - 1) / g.strides[i]
			total := max(0, (out[i]-1)*g.strides[i]+ek-in[i])
			if g.autoPad == "SAME_UPPER" {
				pb[i], pe[i] = total/2, total-total/2
			} else {
				pb[i], pe[i] = total-total/2, total/2
			}
			continue
		case "VALID":
		default:
			pb[i], pe[i] = g.padBegin[i], g.padEnd[i]
		}
		span := in[i] + pb[i] + pe[i] - ek
		if span < 0 {
			return nil, nil, nil, fmt.Errorf("kernel %v (dilations %v) larger than padded input %v", g.kernel, g.dil, in)
		}
		if g.ceil {
			out[i] = (span+g.strides[i]-1)/g.strides[i] + 1
			if (out[i]-1)*g.strides[i] >= in[i]+pb[i] {
				out[i]--
			}
		} else {
			out[i] = span/g.strides[i] + 1
		}
	}
	return out, pb, pe, nil
}
