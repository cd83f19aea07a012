// Package attack crafts adversarial examples against any host.Estimator:
// FGSM and PGD (IBM ART's FastGradientMethod and ProjectedGradientDescent,
// same formulas: normalised gradient step, clipping to the estimator's
// clip values, projection on the eps ball) and Square Attack, a
// score-based attack that needs only Predict.
//
// Square Attack is the gradient-free attack because it suits the models
// arthost hosts without gradients (trees, black boxes): it needs only the
// model's scores, it is bounded by eps in the inf norm like FGSM and PGD
// (so one accuracy-against-eps curve compares all three), and it spends
// far fewer queries than the decision-based HopSkipJump, which searches a
// minimal perturbation rather than respecting a fixed budget.
//
// Every attack works on batches, calls Params.Progress after each step,
// stops when its context is cancelled, and is deterministic for a seed.
// Arithmetic keeps the input's dtype: with float32 inputs each operation
// is rounded to float32 as NumPy would, so results match ART's.
//
// Deviations from ART, each on purpose:
//   - batch_size only splits the work; ART's default of 32 becomes "one
//     batch" (0), since the plugin boundary favours few large calls.
//   - after projecting, x0 + (x - x0) is clipped again: the sum can round
//     one ulp past a clip value.
//   - Square Attack draws its square and signs per sample (as in the
//     paper) instead of once per batch, so a sample's result does not
//     depend on the rest of the batch; square positions range over every
//     place the square fits, and inputs of shape (features,) are attacked
//     as a 1 x features image with windows of p*features features.
package attack
