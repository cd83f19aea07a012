// Package defences holds ART's preprocessing and postprocessing defences
// (art.defences.preprocessor and art.defences.postprocessor) as pure Go,
// independent of any plugin, so the host can put them around any
// estimator.
//
// A Preprocessor transforms a batch before the model (and, for the
// fit-only ones, its labels) and maps a gradient back through itself; a
// Postprocessor transforms the model's predictions and is never part of a
// gradient. NewPreprocessor and NewPostprocessor build them from a
// configuration entry: the name is ART's class name in snake_case and the
// parameters are ART's parameter names with ART's defaults.
//
// Preprocessors:
//
//	feature_squeezing     bit_depth, clip_values              predict
//	spatial_smoothing     window_size, channels_first, clip_values  predict
//	gaussian_augmentation sigma, augmentation, ratio, clip_values, seed  fit
//	label_smoothing       max_value                           fit
//	jpeg_compression      quality, channels_first, clip_values  fit, predict
//	thermometer_encoding  num_space, channels_first, clip_values  fit, predict
//	total_var_min         prob, norm, lamb, solver, max_iter, clip_values,
//	                      channels_first, seed                predict
//
// Every preprocessor also takes apply_fit and apply_predict (defaults in
// the last column; jpeg_compression and total_var_min also accept ART's
// verbose, which does nothing here). Postprocessors: class_labels,
// gaussian_noise (scale, seed), high_confidence (cutoff), reverse_sigmoid
// (beta, gamma), rounded (decimals), each also taking apply_predict.
// Defaults.ChannelsFirst supplies channels_first when it is not given.
//
// Defences are safe for concurrent use; each keeps the caller's tensors
// unchanged and returns results in the input's dtype.
//
// Gradients: Backward returns the vector-Jacobian product of a defence at
// the input it saw. Only thermometer_encoding has a gradient of its own,
// that of the differentiable surrogate of Buckman et al. that ART's
// estimate_gradient uses; every other defence passes the gradient through
// unchanged (BPDA with the identity, as ART does). ChainBackward walks a
// chain in reverse, feeding each defence its own input (ART issue #485
// fed the chain's first input to all of them).
//
// Randomness (gaussian_augmentation, total_var_min, gaussian_noise) comes
// from a generator seeded by the seed parameter (default DefaultSeed): a
// run that makes the same calls in the same order gets the same numbers.
//
// Deviations from ART, each deliberate:
//   - class_labels marks each row's own argmax (ART sets every row's
//     argmax column in every row of a batch).
//   - thermometer_encoding neither clips the caller's array in place nor
//     evaluates its gradient mask on the un-normalised input (ART's
//     estimate_gradient compares raw x with k/num_space, which is only
//     right for clip_values (0, 1)).
//   - total_var_min minimises with the true gradient of its objective (ART's
//     derivative of the p-norm terms carries an extra factor p and drops
//     the sign for odd p > 1), supports L-BFGS-B (gonum's L-BFGS, the
//     problem is unbounded) and CG but not Newton-CG, and accepts
//     channels_first for NCHW images.
//   - jpeg_compression uses Go's image/jpeg with libjpeg's chroma
//     upsampling and colour conversion on top; it lands within about one
//     grey level of PIL on average (a few at most). Values above the clip
//     maximum saturate at 255 instead of wrapping around.
//   - gaussian_noise leaves a probability row that the noise turned all
//     zero uniform, where ART divides by zero.
//   - every defence keeps the input's dtype (ART returns float32). Values
//     are computed in float64 and rounded back, except where a comparison
//     or truncation decides the result (thermometer levels, JPEG bytes,
//     high_confidence, rounded), which follow numpy's float32 arithmetic
//     for float32 input.
package defences
