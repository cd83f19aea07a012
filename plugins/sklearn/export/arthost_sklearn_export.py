#!/usr/bin/env python3
"""Export a fitted scikit-learn classifier to arthost's portable JSON format.

Needs only numpy and scikit-learn (Debian: python3-sklearn). Usage:

    python3 arthost_sklearn_export.py MODEL.pkl OUT.json

MODEL.pkl is a pickle or joblib file that you made yourself: unpickling runs
code, so only load files from your own trusted environment. From a notebook:

    from arthost_sklearn_export import export
    export(model, "model.json")

The format ("arthost-sklearn", version 1) is documented field by field in
plugins/sklearn/README.md. Floats are written with Python's repr, which
round-trips float64 exactly; NaN and infinities are refused. Any estimator
this module does not know is refused with its class name.
"""

import json
import pickle
import sys

import numpy as np

FORMAT = "arthost-sklearn"
VERSION = 1


class UnsupportedError(ValueError):
    """The estimator (or one of its parts) has no export."""


def _floats(a):
    a = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError("non-finite value in model parameters")
    return a.tolist()


def _ints(a):
    return [int(v) for v in np.asarray(a).ravel()]


def _name(est):
    return type(est).__name__


def _class_index(parent_classes, member_classes):
    """Index in parent_classes of each of member_classes."""
    idx = np.searchsorted(parent_classes, member_classes)
    if np.any(idx >= len(parent_classes)) or np.any(parent_classes[np.minimum(idx, len(parent_classes) - 1)] != member_classes):
        raise UnsupportedError("member classes are not a subset of the ensemble's classes")
    return _ints(idx)


def _check_fitted(est, attr):
    if not hasattr(est, attr):
        raise ValueError("%s is not fitted (no %s)" % (_name(est), attr))


# ---------------------------------------------------------------- linear


def _logistic(est):
    _check_fitted(est, "coef_")
    k = len(est.classes_)
    mc = est.multi_class
    if mc == "auto":
        mc = "ovr" if (k <= 2 or est.solver == "liblinear") else "multinomial"
    elif mc == "warn":
        mc = "ovr"
    return {
        "type": "LogisticRegression",
        "multi_class": mc,
        "coef": _floats(est.coef_),
        "intercept": _floats(np.broadcast_to(est.intercept_, (est.coef_.shape[0],))),
    }


def _linear_svc(est):
    _check_fitted(est, "coef_")
    return {
        "type": "LinearSVC",
        "coef": _floats(est.coef_),
        "intercept": _floats(np.broadcast_to(est.intercept_, (est.coef_.shape[0],))),
    }


# ------------------------------------------------------------------- svc


def _svc(est):
    _check_fitted(est, "support_vectors_")
    if est.kernel not in ("linear", "poly", "rbf", "sigmoid"):
        raise UnsupportedError("SVC kernel %r (only linear, poly, rbf, sigmoid)" % (est.kernel,))
    if hasattr(est, "_sparse") and est._sparse:
        raise UnsupportedError("SVC fitted on sparse data")
    out = {
        "type": "SVC",
        "kernel": est.kernel,
        "gamma": float(est._gamma),
        "coef0": float(est.coef0),
        "degree": int(est.degree),
        "support_vectors": _floats(est.support_vectors_),
        "n_support": _ints(est._n_support),
        # libsvm's own signs (sklearn flips dual_coef_/intercept_ for binary).
        "dual_coef": _floats(est._dual_coef_),
        "intercept": _floats(est._intercept_),
        "decision_function_shape": est.decision_function_shape,
        "break_ties": bool(est.break_ties),
        "probability": bool(est.probability),
    }
    if est.probability:
        out["prob_a"] = _floats(est._probA)
        out["prob_b"] = _floats(est._probB)
    return out


# ----------------------------------------------------------------- trees


def _tree_arrays(tree):
    return {
        "children_left": _ints(tree.children_left),
        "children_right": _ints(tree.children_right),
        "feature": _ints(tree.feature),
        "threshold": _floats(tree.threshold),
    }


def _decision_tree(est):
    _check_fitted(est, "tree_")
    if est.n_outputs_ != 1:
        raise UnsupportedError("%s with %d outputs" % (_name(est), est.n_outputs_))
    t = est.tree_
    out = {"type": _name(est)}
    out.update(_tree_arrays(t))
    out["value"] = _floats(t.value[:, 0, :])
    return out


def _forest(est):
    _check_fitted(est, "estimators_")
    if est.n_outputs_ != 1:
        raise UnsupportedError("%s with %d outputs" % (_name(est), est.n_outputs_))
    return {"type": _name(est), "estimators": [_decision_tree(e) for e in est.estimators_]}


def _regression_tree(t):
    out = _tree_arrays(t)
    out["value"] = _floats(t.value[:, 0, 0])
    return out


# ------------------------------------------------------------- ensembles


def _member(parent_classes, est):
    """A member of an ensemble: its model and where its classes go."""
    return {"model": _model(est), "classes": _class_index(parent_classes, est.classes_)}


def _bagging(est):
    _check_fitted(est, "estimators_")
    ncls = np.arange(est.n_classes_)  # members are fitted on encoded labels
    members = []
    for e, feats in zip(est.estimators_, est.estimators_features_):
        m = _member(ncls, e)
        m["features"] = _ints(feats)
        members.append(m)
    return {"type": "BaggingClassifier", "estimators": members}


def _adaboost(est):
    _check_fitted(est, "estimators_")
    return {
        "type": "AdaBoostClassifier",
        "algorithm": est.algorithm,
        "estimators": [_member(est.classes_, e) for e in est.estimators_],
        "estimator_weights": _floats(est.estimator_weights_),
    }


def _gradient_boosting(est):
    _check_fitted(est, "estimators_")
    loss = est.loss
    if loss == "deviance":
        loss = "log_loss"
    if loss not in ("log_loss", "exponential"):
        raise UnsupportedError("GradientBoostingClassifier loss %r" % (loss,))
    init = est.init_
    if isinstance(init, str) and init == "zero":
        init_out = {"kind": "zero"}
    elif _name(init) == "DummyClassifier" and init.strategy == "prior":
        init_out = {"kind": "prior", "class_prior": _floats(init.class_prior_)}
    else:
        raise UnsupportedError("GradientBoostingClassifier init %s (only 'zero' or the default prior)" % _name(init))
    return {
        "type": "GradientBoostingClassifier",
        "loss": loss,
        "learning_rate": float(est.learning_rate),
        "init": init_out,
        "estimators": [[_regression_tree(e.tree_) for e in stage] for stage in est.estimators_],
    }


# ------------------------------------------------------------ NB and MLP


def _gaussian_nb(est):
    _check_fitted(est, "theta_")
    return {
        "type": "GaussianNB",
        "class_prior": _floats(est.class_prior_),
        "theta": _floats(est.theta_),
        "var": _floats(est.var_),
    }


def _mlp(est):
    _check_fitted(est, "coefs_")
    if est._label_binarizer.y_type_ not in ("binary", "multiclass"):
        raise UnsupportedError("MLPClassifier with %s targets" % est._label_binarizer.y_type_)
    return {
        "type": "MLPClassifier",
        "activation": est.activation,
        "out_activation": est.out_activation_,
        "coefs": [_floats(c) for c in est.coefs_],
        "intercepts": [_floats(b) for b in est.intercepts_],
    }


# -------------------------------------------------------------- pipeline


def _scaler(est):
    name = _name(est)
    if name == "StandardScaler":
        _check_fitted(est, "n_features_in_")
        return {
            "type": "StandardScaler",
            # sklearn keeps mean_ even with with_mean=False; transform skips it.
            "mean": _floats(est.mean_) if est.with_mean else None,
            "scale": _floats(est.scale_) if est.with_std else None,
        }
    if name == "MinMaxScaler":
        _check_fitted(est, "scale_")
        return {
            "type": "MinMaxScaler",
            "scale": _floats(est.scale_),
            "min": _floats(est.min_),
            "clip": bool(est.clip),
            "feature_range": _floats(est.feature_range),
        }
    raise UnsupportedError("pipeline step %s (only StandardScaler and MinMaxScaler before the classifier)" % name)


def _pipeline(est):
    steps = [s for _, s in est.steps if s is not None and s != "passthrough"]
    if not steps:
        raise UnsupportedError("empty Pipeline")
    return {
        "type": "Pipeline",
        "steps": [_scaler(s) for s in steps[:-1]],
        "final": _model(steps[-1]),
    }


_EXPORTERS = {
    "LogisticRegression": _logistic,
    "LinearSVC": _linear_svc,
    "SVC": _svc,
    "DecisionTreeClassifier": _decision_tree,
    "ExtraTreeClassifier": _decision_tree,
    "RandomForestClassifier": _forest,
    "ExtraTreesClassifier": _forest,
    "BaggingClassifier": _bagging,
    "AdaBoostClassifier": _adaboost,
    "GradientBoostingClassifier": _gradient_boosting,
    "GaussianNB": _gaussian_nb,
    "MLPClassifier": _mlp,
    "Pipeline": _pipeline,
}


def _model(est):
    fn = _EXPORTERS.get(_name(est))
    if fn is None:
        raise UnsupportedError("unsupported estimator %s (supported: %s)" % (_name(est), ", ".join(sorted(_EXPORTERS))))
    return fn(est)


def _final(est):
    while _name(est) == "Pipeline":
        est = [s for _, s in est.steps if s is not None and s != "passthrough"][-1]
    return est


def to_dict(model):
    """The export of model as a JSON-ready dict."""
    final = _final(model)
    if not hasattr(final, "classes_"):
        raise UnsupportedError("%s has no classes_: not a fitted classifier" % _name(final))
    classes = final.classes_
    if getattr(classes, "ndim", 1) != 1 or len(classes) < 2:
        raise UnsupportedError("%s with classes %r (need one output and at least 2 classes)" % (_name(final), classes))
    n_features = getattr(model, "n_features_in_", None)
    if n_features is None:
        raise ValueError("%s has no n_features_in_" % _name(model))
    labels = []
    for c in classes.tolist():
        if isinstance(c, (bool, np.bool_)):
            c = int(c)
        if not isinstance(c, (int, float, str)):
            c = str(c)
        labels.append(c)
    import sklearn

    return {
        "format": FORMAT,
        "version": VERSION,
        "sklearn_version": sklearn.__version__,
        "n_features": int(n_features),
        "classes": labels,
        "model": _model(model),
    }


def export(model, path):
    """Write the export of a fitted model to path."""
    doc = to_dict(model)
    with open(path, "w") as f:
        json.dump(doc, f, allow_nan=False, separators=(",", ":"))
        f.write("\n")


def _load(path):
    try:
        import joblib
    except ImportError:
        joblib = None
    if joblib is not None:
        try:
            return joblib.load(path)
        except Exception:
            pass
    with open(path, "rb") as f:
        return pickle.load(f)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: %s MODEL.pkl OUT.json\n" % argv[0])
        return 2
    try:
        export(_load(argv[1]), argv[2])
    except (UnsupportedError, ValueError) as e:
        sys.stderr.write("arthost_sklearn_export: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
