package ops

// What the backward rules read of the forward values. Class gradients
// repeat the kept forward values once per class (autodiff.Tile); values
// whose consumers' backward rules only look at their shape need not be
// copied. These functions answer conservatively: an op not listed reads
// everything.

// ShapeOnlyInput reports whether the backward rule of op, asked for the
// input gradients marked in need, reads only the shape and dtype of its
// input i, never its data.
func ShapeOnlyInput(op string, i int, need []bool) bool {
	switch op {
	case "Conv":
		// dX = col2im(W^T dY) reads W; X's data only feeds dW.
		return i == 0 && !needAt(need, 1)
	case "Gemm":
		// dA = dY op(B), dB = op(A)^T dY, dC = sums of dY.
		return (i == 0 && !needAt(need, 1)) || (i == 1 && !needAt(need, 0)) || i == 2
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Pad":
		return i == 0
	case "Sigmoid", "Tanh":
		// The derivative is computed from the output.
		return i == 0
	case "AveragePool", "GlobalAveragePool":
		// The gradient is spread by window counts, not values.
		return i == 0
	case "Concat", "Add", "Sub":
		return true
	case "BatchNormalization":
		// dX = dY gamma / sqrt(var + eps); X feeds the parameter gradients.
		return i == 0 && !needAt(need, 1) && !needAt(need, 2) && !needAt(need, 3) && !needAt(need, 4)
	}
	return false
}

// ShapeOnlyOutputs reports whether the backward rule of op reads only the
// shapes of its outputs (to check the output gradients against them).
func ShapeOnlyOutputs(op string) bool {
	switch op {
	case "Conv", "Gemm", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Pad",
		"Concat", "Add", "Sub", "BatchNormalization", "AveragePool", "GlobalAveragePool",
		"Relu", "LeakyRelu": // the derivative is computed from the input
		return true
	}
	return false
}

// RepeatReadInput reports whether the backward rule of op reads its input
// i row by row in a way that accepts a row-repeated value
// (nd.Array.RowRepeat), so class gradients need not copy it once per
// class.
func RepeatReadInput(op string, i int) bool {
	switch op {
	case "Relu", "LeakyRelu":
		return i == 0
	}
	return false
}

// RepeatReadOutput is RepeatReadInput for the outputs of op.
func RepeatReadOutput(op string) bool {
	switch op {
	case "Sigmoid", "Tanh":
		return true
	}
	return false
}
