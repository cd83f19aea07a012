package defences

import (
	"image"
	"image/color"
)

// Go's JPEG decoder returns 4:2:0 chroma at half resolution and its
// YCbCr.At replicates each chroma sample over 2x2 pixels. libjpeg, which
// ART reaches through PIL, interpolates instead ("fancy upsampling") and
// converts with its own fixed-point tables. The two functions below follow
// libjpeg(-turbo)'s jdsample.c h2v2_fancy_upsample and jdcolor.c
// ycc_rgb_convert, so a colour round trip lands within about one grey
// level of PIL's instead of several.

const (
	yccScaleBits = 16
	yccHalf      = 1 << (yccScaleBits - 1)
)

func yccFix(x float64) int32 { return int32(x*(1<<yccScaleBits) + 0.5) }

// yccToRGB is libjpeg's YCbCr to RGB conversion of one pixel.
func yccToRGB(y, cb, cr uint8) [3]uint8 {
	ci, bi := int32(cr)-128, int32(cb)-128
	r := int32(y) + (yccFix(1.40200)*ci+yccHalf)>>yccScaleBits
	g := int32(y) + (-yccFix(0.34414)*bi+yccHalf-yccFix(0.71414)*ci)>>yccScaleBits
	b := int32(y) + (yccFix(1.77200)*bi+yccHalf)>>yccScaleBits
	clamp := func(v int32) uint8 { return uint8(min(max(v, 0), 255)) }
	return [3]uint8{clamp(r), clamp(g), clamp(b)}
}

// fancyUpsample returns a full-resolution chroma plane (w x h, row-major)
// from the 4:2:0 plane c with stride s: each output is 9/16 of its own
// sample, 3/16 of the nearest horizontal and vertical neighbours and 1/16
// of the diagonal one, edges replicated. Planes two samples wide or less
// are replicated, as libjpeg does.
func fancyUpsample(c []uint8, s, w, h int) []uint8 {
	cw, ch := (w+1)/2, (h+1)/2
	at := func(x, y int) int32 { return int32(c[min(max(y, 0), ch-1)*s+x]) }
	full := make([]uint8, 2*cw*2*ch)
	for y := 0; y < ch; y++ {
		for v := 0; v < 2; v++ {
			near := y - 1 + 2*v // the other row: above for the top output row, below for the bottom
			out := full[(2*y+v)*2*cw:]
			colsum := func(x int) int32 { return at(x, y)*3 + at(x, near) }
			if cw <= 2 {
				for x := 0; x < cw; x++ {
					out[2*x], out[2*x+1] = uint8(at(x, y)), uint8(at(x, y))
				}
				continue
			}
			for x := 0; x < cw; x++ {
				this := colsum(x)
				if x == 0 {
					out[0] = uint8((this*4 + 8) >> 4)
				} else {
					out[2*x] = uint8((this*3 + colsum(x-1) + 8) >> 4)
				}
				if x == cw-1 {
					out[2*x+1] = uint8((this*4 + 7) >> 4)
				} else {
					out[2*x+1] = uint8((this*3 + colsum(x+1) + 7) >> 4)
				}
			}
		}
	}
	res := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(res[y*w:(y+1)*w], full[y*2*cw:])
	}
	return res
}

// decodedRGB returns the RGB pixels (row-major, 3 bytes each) of a decoded
// colour JPEG the way libjpeg would produce them.
func decodedRGB(img image.Image) []uint8 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgb := make([]uint8, 3*w*h)
	ycc, ok := img.(*image.YCbCr)
	if ok && ycc.SubsampleRatio == image.YCbCrSubsampleRatio420 && b.Min == (image.Point{}) {
		cb := fancyUpsample(ycc.Cb, ycc.CStride, w, h)
		cr := fancyUpsample(ycc.Cr, ycc.CStride, w, h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := yccToRGB(ycc.Y[y*ycc.YStride+x], cb[y*w+x], cr[y*w+x])
				copy(rgb[3*(y*w+x):], p[:])
			}
		}
		return rgb
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var p [3]uint8
			if ok {
				c := ycc.YCbCrAt(b.Min.X+x, b.Min.Y+y)
				p = yccToRGB(c.Y, c.Cb, c.Cr)
			} else {
				c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
				p = [3]uint8{c.R, c.G, c.B}
			}
			copy(rgb[3*(y*w+x):], p[:])
		}
	}
	return rgb
}
