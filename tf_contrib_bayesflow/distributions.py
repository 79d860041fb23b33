"""Distributions: the legacy `tf.contrib.distributions` module, made of TFP distributions.

Every public name of `tfp.distributions` is re-exported unchanged. On top of that, the families
that TF 1.0 code used are subclasses of their TFP classes that also accept the TF 1.0 spellings:

* constructor keywords (`Normal(mu=, sigma=)`, `Bernoulli(p=)`, `Gamma(alpha=, beta=)`, ...) and
  the TF 1.0 class names that TFP renamed (`MultivariateNormalCholesky`, `MultivariateNormalFull`,
  `WishartCholesky`), listed in `_FAMILIES`;
* the parameter-transforming classes TFP dropped (`NormalWithSoftplusSigma`,
  `NormalWithSoftplusScale`, `Chi2WithAbsDf`, ...), listed in `_REPARAMETERIZED`: constructing one
  returns its family's distribution with the transformed parameter (a `tfp.util.DeferredTensor`
  when an eager variable is passed, so the distribution follows assignments);
* the TF 1.0 methods and properties (`log_pdf`, `pdf`, `log_pmf`, `pmf`, `std`, `sample_n`,
  `get_batch_shape`, `get_event_shape`, `is_reparameterized`, `is_continuous`), the TF 1.0
  parameter attributes (`mu`, `sigma`, `p`, ...), and `param_shapes`/`param_static_shapes`
  without TFP's deprecation;
* `kl`, `softplus_inverse`, `normal_conjugates_known_sigma_posterior` and
  `normal_conjugates_known_sigma_predictive`.

The objects are ordinary TFP distributions: they work with every TFP function, `copy()`, batch
slicing, `tf.function` arguments and `tfd.kl_divergence`, which finds the KL of the TFP parent.
Each legacy spelling warns once per process with a `BayesflowDeprecationWarning` that names the
modern spelling, at the caller's line. Plain TFP classes are never modified.
"""
import dataclasses
import inspect
import sys
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions as dist_util

tfd = tfp.distributions
tfb = tfp.bijectors

# Everything public in tfp.distributions, as is; the legacy definitions below replace some names.
globals().update({name: getattr(tfd, name) for name in tfd.__all__})

_warn = deprecation.warn_from_user_code


# ------------------------------------------------------------------------------ the tables

# Parameters TFP added after TF 1.x. A legacy class takes them as keywords only, so that the
# positional order stays that of TF 1.x: e.g. `Exponential(rate, validate_args, ...)`.
_ADDED_BY_TFP = frozenset(
    {
        "experimental_use_kahan_sum",
        "force_probs_to_zero_outside_support",
        "interpolate_nondiscrete",
        "log_rate",
        "require_integer_total_count",
    }
)


@dataclasses.dataclass(frozen=True)
class _Family:
    """A TF 1.0 distribution family and the TFP 0.25 class that implements it."""

    base: type
    # Legacy keyword -> TFP keyword. Each legacy keyword sits at its TFP keyword's position.
    renames: Mapping[str, str] = dataclasses.field(default_factory=dict)
    # The TF 1.0 class name, where TFP renamed the class.
    legacy_name: Optional[str] = None
    # TF 1.0's `is_continuous`; None derives it from the dtype (floating means continuous).
    continuous: Optional[bool] = True

    @property
    def name(self) -> str:
        return self.legacy_name or self.base.__name__


_FAMILIES = (
    _Family(tfd.Bernoulli, {"p": "probs"}, continuous=False),
    _Family(tfd.Beta, {"a": "concentration1", "b": "concentration0"}),
    _Family(tfd.Binomial, {"n": "total_count", "p": "probs"}, continuous=False),
    _Family(tfd.Categorical, {"p": "probs"}, continuous=False),
    _Family(tfd.Chi2),
    _Family(tfd.Dirichlet, {"alpha": "concentration"}),
    _Family(
        tfd.DirichletMultinomial, {"n": "total_count", "alpha": "concentration"}, continuous=False
    ),
    _Family(tfd.Exponential, {"lam": "rate"}),
    _Family(tfd.ExpRelaxedOneHotCategorical, {"p": "probs"}),
    _Family(tfd.Gamma, {"alpha": "concentration", "beta": "rate"}),
    # TF 1.1-1.x called the scale `rate` although it divides x (beta / x); TFP calls it `scale`.
    _Family(tfd.InverseGamma, {"alpha": "concentration", "beta": "scale", "rate": "scale"}),
    _Family(tfd.Laplace),
    _Family(tfd.Mixture, continuous=None),
    _Family(tfd.Multinomial, {"n": "total_count", "p": "probs"}, continuous=False),
    _Family(
        tfd.MultivariateNormalTriL,
        {"mu": "loc", "chol": "scale_tril"},
        legacy_name="MultivariateNormalCholesky",
    ),
    _Family(tfd.MultivariateNormalDiag, {"mu": "loc", "diag_stdev": "scale_diag"}),
    _Family(
        tfd.MultivariateNormalFullCovariance,
        {"mu": "loc", "sigma": "covariance_matrix"},
        legacy_name="MultivariateNormalFull",
    ),
    _Family(tfd.Normal, {"mu": "loc", "sigma": "scale"}),
    _Family(tfd.OneHotCategorical, {"p": "probs"}, continuous=False),
    _Family(tfd.Poisson, {"lam": "rate"}, continuous=False),
    _Family(
        tfd.QuantizedDistribution,
        {"lower_cutoff": "low", "upper_cutoff": "high"},
        continuous=False,
    ),
    _Family(tfd.RelaxedBernoulli, {"p": "probs"}),
    _Family(tfd.RelaxedOneHotCategorical, {"p": "probs"}),
    _Family(tfd.StudentT, {"mu": "loc", "sigma": "scale"}),
    _Family(tfd.Uniform, {"a": "low", "b": "high"}),
    _Family(
        tfd.WishartTriL,
        {"scale": "scale_tril", "cholesky_input_output_matrices": "input_output_cholesky"},
        legacy_name="WishartCholesky",
    ),
)


def _floor_abs(x: Any) -> tf.Tensor:
    return tf.math.floor(tf.math.abs(x))


def _unconstrained(base_bijector_fn: Callable) -> Callable:
    return tfb.Identity


def _positive_definite(base_bijector_fn: Callable) -> Callable:
    return lambda: tfb.Chain([tfb.CholeskyOuterProduct(), base_bijector_fn()])


@dataclasses.dataclass(frozen=True)
class _Transform:
    """What a parameter-transforming class applies to its raw argument."""

    fn: Callable[[Any], tf.Tensor]
    # Maps the TFP parameter's default constraining bijector fn to the raw argument's.
    raw_constraint: Callable[[Callable], Callable]
    formula: str


_SOFTPLUS = _Transform(tf.math.softplus, _unconstrained, "tf.math.softplus")
_SIGMOID = _Transform(tf.math.sigmoid, _unconstrained, "tf.math.sigmoid")
_FLOOR_ABS = _Transform(_floor_abs, _unconstrained, "lambda x: tf.floor(tf.abs(x))")
_CHOLESKY = _Transform(tf.linalg.cholesky, _positive_definite, "tf.linalg.cholesky")


@dataclasses.dataclass(frozen=True)
class _Reparameterized:
    """A TF 1.x class that transforms some arguments before building its family's distribution."""

    name: str
    family: str  # legacy family name, a key of _LEGACY_CLASSES
    # (argument name, TFP keyword, transform or None), in positional order.
    arguments: Tuple[Tuple[str, str, Optional[_Transform]], ...]


_REPARAMETERIZED = (
    _Reparameterized(
        "BernoulliWithSigmoidP", "Bernoulli", (("p", "probs", _SIGMOID),)
    ),
    _Reparameterized(
        "BernoulliWithSigmoidProbs", "Bernoulli", (("logits", "probs", _SIGMOID),)
    ),
    _Reparameterized(
        "BetaWithSoftplusAB",
        "Beta",
        (("a", "concentration1", _SOFTPLUS), ("b", "concentration0", _SOFTPLUS)),
    ),
    _Reparameterized(
        "BetaWithSoftplusConcentration",
        "Beta",
        (
            ("concentration1", "concentration1", _SOFTPLUS),
            ("concentration0", "concentration0", _SOFTPLUS),
        ),
    ),
    _Reparameterized("Chi2WithAbsDf", "Chi2", (("df", "df", _FLOOR_ABS),)),
    _Reparameterized(
        "ExponentialWithSoftplusLam", "Exponential", (("lam", "rate", _SOFTPLUS),)
    ),
    _Reparameterized(
        "ExponentialWithSoftplusRate", "Exponential", (("rate", "rate", _SOFTPLUS),)
    ),
    _Reparameterized(
        "GammaWithSoftplusAlphaBeta",
        "Gamma",
        (("alpha", "concentration", _SOFTPLUS), ("beta", "rate", _SOFTPLUS)),
    ),
    _Reparameterized(
        "GammaWithSoftplusConcentrationRate",
        "Gamma",
        (("concentration", "concentration", _SOFTPLUS), ("rate", "rate", _SOFTPLUS)),
    ),
    _Reparameterized(
        "InverseGammaWithSoftplusAlphaBeta",
        "InverseGamma",
        (("alpha", "concentration", _SOFTPLUS), ("beta", "scale", _SOFTPLUS)),
    ),
    _Reparameterized(
        "InverseGammaWithSoftplusConcentrationRate",
        "InverseGamma",
        (("concentration", "concentration", _SOFTPLUS), ("rate", "scale", _SOFTPLUS)),
    ),
    _Reparameterized(
        "LaplaceWithSoftplusScale",
        "Laplace",
        (("loc", "loc", None), ("scale", "scale", _SOFTPLUS)),
    ),
    _Reparameterized(
        "MultivariateNormalDiagWithSoftplusStDev",
        "MultivariateNormalDiag",
        (("mu", "loc", None), ("diag_stdev", "scale_diag", _SOFTPLUS)),
    ),
    _Reparameterized(
        "MultivariateNormalDiagWithSoftplusScale",
        "MultivariateNormalDiag",
        (("loc", "loc", None), ("scale_diag", "scale_diag", _SOFTPLUS)),
    ),
    _Reparameterized(
        "NormalWithSoftplusSigma",
        "Normal",
        (("mu", "loc", None), ("sigma", "scale", _SOFTPLUS)),
    ),
    _Reparameterized(
        "NormalWithSoftplusScale",
        "Normal",
        (("loc", "loc", None), ("scale", "scale", _SOFTPLUS)),
    ),
    _Reparameterized(
        "StudentTWithAbsDfSoftplusSigma",
        "StudentT",
        (("df", "df", _FLOOR_ABS), ("mu", "loc", None), ("sigma", "scale", _SOFTPLUS)),
    ),
    _Reparameterized(
        "StudentTWithAbsDfSoftplusScale",
        "StudentT",
        (("df", "df", _FLOOR_ABS), ("loc", "loc", None), ("scale", "scale", _SOFTPLUS)),
    ),
    _Reparameterized(
        "WishartFull",
        "WishartCholesky",
        (("df", "df", None), ("scale", "scale_tril", _CHOLESKY)),
    ),
)

# TF 1.0 density method -> (TFP method, the legacy `is_continuous` it requires).
_DENSITY_ALIASES = {
    "log_pdf": ("log_prob", True),
    "pdf": ("prob", True),
    "log_pmf": ("log_prob", False),
    "pmf": ("prob", False),
}

# ------------------------------------------------------------------------------ construction


def _legacy_signature(base: type) -> inspect.Signature:
    """The TFP constructor's parameters in TF 1.x positional order: TFP additions keyword-only."""
    parameters = list(inspect.signature(base.__init__).parameters.values())[1:]
    return inspect.Signature(
        [p for p in parameters if p.name not in _ADDED_BY_TFP]
        + [p.replace(kind=p.KEYWORD_ONLY) for p in parameters if p.name in _ADDED_BY_TFP]
    )


def _rename_keywords(
    owner: str,
    renames: Mapping[str, str],
    signature: inspect.Signature,
    args: tuple,
    kwargs: Dict[str, Any],
    replacement: str,
) -> Dict[str, Any]:
    """Returns `kwargs` with legacy keywords renamed; warns for each and rejects duplicates."""
    kwargs = dict(kwargs)
    given_as = {name: name for name in kwargs}
    given_as.update((p, p) for p in list(signature.parameters)[: len(args)])
    for old, new in renames.items():
        if old not in kwargs:
            continue
        if new in given_as:
            raise TypeError(
                f"{owner}() got both {old!r} (legacy name of {new!r}) and {given_as[new]!r} for "
                f"the same parameter; pass only {new!r}."
            )
        kwargs[new] = kwargs.pop(old)
        given_as[new] = old
        _warn(f"distributions.{owner}({old}=...)", f"{replacement}({new}=...)")
    return kwargs


def _bind(owner: str, signature: inspect.Signature, args: tuple, kwargs: dict) -> Dict[str, Any]:
    try:
        return dict(signature.bind(*args, **kwargs).arguments)
    except TypeError as error:
        raise TypeError(f"{owner}{signature}: {error}") from None


class _LegacyConstructor(type):
    """Metaclass part that lets the class's legacy spec translate constructor arguments.

    Translating before `__init__` keeps TFP's own `__init__` (and so `parameters`, `copy()`,
    batch slicing and the CompositeTensor type spec) exactly as for the TFP class.
    """

    def __call__(cls, *args, **kwargs):
        # TFP's own rebuilds (`copy()`, batch slicing, CompositeTensor unpacking) pass TFP
        # keywords; they are not a use of the legacy class name.
        by_tfp = deprecation.top_module(sys._getframe(1)) == "tensorflow_probability"
        return cls._legacy.construct(cls, args, kwargs, super().__call__, by_tfp)

    def __instancecheck__(cls, instance):
        # Legacy: `isinstance(NormalWithSoftplusScale(...), NormalWithSoftplusScale)` held (the
        # legacy stochastic_variables tests check it), though the object built is the family's.
        return super().__instancecheck__(instance) or any(
            maker is cls for maker in getattr(instance, _MADE_BY, ())
        )


_metaclasses = {}
# Attribute of an instance built by a transforming class: the classes that built it.
_MADE_BY = "_tf_contrib_bayesflow_made_by"


def _legacy_metaclass(base: type) -> type:
    meta = type(base)
    if meta not in _metaclasses:
        _metaclasses[meta] = type(f"_Legacy{meta.__name__}", (_LegacyConstructor, meta), {})
    return _metaclasses[meta]


@dataclasses.dataclass(frozen=True)
class _FamilySpec:
    family: _Family
    signature: inspect.Signature

    @property
    def continuous(self) -> Optional[bool]:
        return self.family.continuous

    def parameter_names(self, properties: Mapping[str, Any]) -> Tuple[str, ...]:
        # TF 1.x listed the family's tensor parameters in positional order (so not TFP's
        # `log_rate`), and of `logits` and its alternative `probs` only `logits`.
        # Departure: under their TF 1.1+ names (`loc`, not TF 1.0's `mu`), those of `parameters`.
        positional = [
            p.name for p in self.signature.parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in properties
            and properties[p.name].is_tensor
        ]
        return tuple(
            name for name in positional if not (name == "probs" and "logits" in positional)
        )

    def construct(
        self, cls: type, args: tuple, kwargs: dict, create: Callable, by_tfp: bool
    ) -> Any:
        base = self.family.base
        if cls.__init__ is not base.__init__:
            # Departure: a user subclass with its own constructor takes its own arguments, and
            # must pass TFP keywords to `super().__init__`.
            return create(*args, **kwargs)
        replacement = f"tfp.distributions.{base.__name__}"
        if not by_tfp and cls.__name__ == self.family.legacy_name:
            _warn(f"distributions.{cls.__name__}", replacement)
        kwargs = _rename_keywords(
            cls.__name__, self.family.renames, self.signature, args, kwargs, replacement
        )
        return create(**_bind(cls.__name__, self.signature, args, kwargs))


@dataclasses.dataclass(frozen=True)
class _ReparameterizedSpec:
    spec: _Reparameterized
    family_class: type
    signature: inspect.Signature

    @property
    def continuous(self) -> Optional[bool]:
        return self.family_class._legacy.continuous

    def parameter_names(self, properties: Mapping[str, Any]) -> Tuple[str, ...]:
        return tuple(name for name, _, _ in self.spec.arguments)

    def replacement(self) -> str:
        family = self.family_class._legacy.family.base.__name__
        keywords = ", ".join(
            f"{keyword}={name}" if transform is None
            else f"{keyword}=tfp.util.DeferredTensor({name}, {transform.formula})"
            for name, keyword, transform in self.spec.arguments
        )
        return f"tfp.distributions.{family}({keywords})"

    def construct(
        self, cls: type, args: tuple, kwargs: dict, create: Callable, by_tfp: bool
    ) -> Any:
        """`_FamilySpec.construct`'s protocol; builds the family's instance, not `cls`'s."""
        _warn(f"distributions.{self.spec.name}", self.replacement())
        family = self.family_class._legacy
        raw_names = {name for name, _, _ in self.spec.arguments}
        # The family's legacy keywords for options (e.g. WishartFull's
        # `cholesky_input_output_matrices`), not for the raw arguments themselves.
        options = {
            old: new for old, new in family.family.renames.items()
            if new in self.signature.parameters and not {old, new} & raw_names
        }
        kwargs = _rename_keywords(
            self.spec.name, options, self.signature, args, kwargs,
            f"tfp.distributions.{family.family.base.__name__}",
        )
        arguments = _bind(self.spec.name, self.signature, args, kwargs)
        for name, keyword, transform in self.spec.arguments:
            raw = arguments.pop(name)
            arguments[keyword] = raw if transform is None else _transformed(raw, transform, name)
        # Departure: the result is a family instance, not one of this class: TFP rebuilds a
        # CompositeTensor from attributes such as `scale`, which hold the transformed value.
        # The arguments are TFP's now: build it without translating them again.
        instance = type.__call__(self.family_class, **arguments)
        setattr(instance, _MADE_BY, (cls,))
        return instance


# Arguments that are values, not variables that may be assigned later.
_VALUES = (tf.Tensor, np.ndarray, np.generic, int, float, list, tuple)


def _transformed(raw: Any, transform: _Transform, name: str) -> Any:
    """`transform(raw)`: a tensor, or, for an eager variable, a DeferredTensor that follows it.

    A TF1 graph re-read the variable under the transform at every `Session.run`; graphs and
    `tf.function`s still do, but an eager tensor would freeze the value at construction.
    """
    if tf.executing_eagerly() and not isinstance(raw, _VALUES):
        return tfp.util.DeferredTensor(raw, transform.fn, name=f"{name}_{transform.fn.__name__}")
    with tf.name_scope(f"{name}_{transform.fn.__name__}"):
        return transform.fn(raw)


# ------------------------------------------------------------------------------ legacy methods


def _legacy_is_continuous(dist: Any) -> bool:
    flag = type(dist)._legacy.continuous
    if flag is None:
        return all(tf.as_dtype(dtype).is_floating for dtype in tf.nest.flatten(dist.dtype))
    return flag


def _density_alias(legacy: str, modern: str, continuous: bool) -> Callable:
    def alias(self, value, name=legacy):
        _warn(f"Distribution.{legacy}", f"Distribution.{modern}", from_package_too=False)
        if _legacy_is_continuous(self) != continuous:
            # Legacy: TF 1.0 refused densities of discrete, and masses of continuous, families.
            kind = "non-continuous" if continuous else "continuous"
            raise TypeError(f"{legacy} is undefined for {kind} distributions.")
        return getattr(self, modern)(value, name=name)

    alias.__name__ = legacy
    alias.__doc__ = f"TF 1.0 name of `{modern}`."
    return alias


def _parameter_alias(cls_name: str, legacy: str, modern: str, base: type) -> property:
    method = f"{modern}_parameter"

    def getter(self):
        _warn(f"distributions.{cls_name}.{legacy}", f"{base.__name__}.{modern}",
              from_package_too=False)
        return getattr(self, method)() if hasattr(base, method) else getattr(self, modern)

    getter.__name__ = legacy
    getter.__doc__ = f"TF 1.0 name of `{modern}`."
    return property(getter)


class _LegacyMethods:
    """TF 1.0 methods and properties of every legacy distribution class (and `_DENSITY_ALIASES`)."""

    def std(self, name: str = "std") -> tf.Tensor:
        """TF 1.0 name of `stddev`."""
        _warn("Distribution.std", "Distribution.stddev", from_package_too=False)
        return self.stddev(name=name)

    def sample_n(self, n: Any, seed: Any = None, name: str = "sample_n") -> tf.Tensor:
        """TF 0.12 `sample_n(n)`: `n` draws, shape `[n] + batch_shape + event_shape`."""
        _warn("Distribution.sample_n", "Distribution.sample(n, seed=seed)",
              from_package_too=False)
        return self.sample(n, seed=seed, name=name)

    def get_batch_shape(self) -> tf.TensorShape:
        """TF 1.0 spelling of the static `batch_shape` property."""
        _warn("Distribution.get_batch_shape()", "Distribution.batch_shape",
              from_package_too=False)
        return self.batch_shape

    def get_event_shape(self) -> tf.TensorShape:
        """TF 1.0 spelling of the static `event_shape` property."""
        _warn("Distribution.get_event_shape()", "Distribution.event_shape",
              from_package_too=False)
        return self.event_shape

    @property
    def is_reparameterized(self) -> bool:
        """TF 1.0 flag: whether samples carry pathwise gradients (`reparameterization_type`)."""
        _warn(
            "Distribution.is_reparameterized",
            "Distribution.reparameterization_type == tfp.distributions.FULLY_REPARAMETERIZED",
            from_package_too=False,
        )
        return dist_util.is_fully_reparameterized_type(self.reparameterization_type)

    @property
    def is_continuous(self) -> bool:
        """TF 1.0 flag: whether the support is continuous (TF 1.1 removed it)."""
        _warn("Distribution.is_continuous", "Distribution.dtype.is_floating",
              from_package_too=False)
        return _legacy_is_continuous(self)

    @classmethod
    def param_shapes(cls, sample_shape: Any, name: str = "DistributionParamShapes") -> dict:
        """Shapes (int32 tensors) of the parameters that make `sample()` return `sample_shape`.

        TF 1.x API; TFP deprecated it for `parameter_properties()`, whose `shape_fn`s this uses.
        """
        _warn(f"{cls.__name__}.param_shapes", "parameter_properties()", from_package_too=False)
        with tf.name_scope(name):
            return {
                param: tf.convert_to_tensor(properties.shape_fn(sample_shape), tf.int32)
                for param, properties in cls._legacy_parameter_properties().items()
            }

    @classmethod
    def param_static_shapes(cls, sample_shape: Any) -> Dict[str, tf.TensorShape]:
        """`param_shapes` as `TensorShape`s, for a fully defined `sample_shape`.

        Raises:
          ValueError: `sample_shape` is not fully defined.
        """
        _warn(f"{cls.__name__}.param_static_shapes", "parameter_properties()",
              from_package_too=False)
        sample_shape = tf.TensorShape(sample_shape)
        if not sample_shape.is_fully_defined():
            raise ValueError(f"TensorShape sample_shape must be fully defined, got {sample_shape}")
        return {
            param: tf.TensorShape(properties.shape_fn(sample_shape.as_list()))
            for param, properties in cls._legacy_parameter_properties().items()
        }

    @classmethod
    def _legacy_parameter_properties(cls) -> dict:
        properties = cls.parameter_properties()
        return {name: properties[name] for name in cls._legacy.parameter_names(properties)}


for _legacy_name, (_modern_name, _continuous) in _DENSITY_ALIASES.items():
    setattr(_LegacyMethods, _legacy_name, _density_alias(_legacy_name, _modern_name, _continuous))
del _legacy_name, _modern_name, _continuous


def _class_doc(family: _Family) -> str:
    renames = ", ".join(f"`{old}` (-> `{new}`)" for old, new in family.renames.items())
    keywords = f" It also accepts the legacy keywords {renames}." if renames else ""
    return (
        f"TF 1.0 `{family.name}`: `tfp.distributions.{family.base.__name__}` with the TF 1.0 API."
        f"\n\n{keywords.strip()} Positional arguments follow TF 1.x order (parameters TFP added "
        "are keyword-only). Instances also have `log_pdf`, `pdf`, `log_pmf`, `pmf`, `std`, "
        "`sample_n`, `get_batch_shape()`, `get_event_shape()`, `is_reparameterized` and "
        "`is_continuous`. Every legacy spelling warns once with its TFP replacement."
    )


def _make_family_class(family: _Family) -> type:
    base = family.base
    signature = _legacy_signature(base)
    attributes = {
        "__module__": __name__,
        "__qualname__": family.name,
        "__doc__": _class_doc(family),
        "__signature__": signature,
        "_legacy": _FamilySpec(family, signature),
    }
    for old, new in family.renames.items():
        if not hasattr(base, old) and (hasattr(base, new) or hasattr(base, f"{new}_parameter")):
            attributes[old] = _parameter_alias(family.name, old, new, base)
    return _legacy_metaclass(base)(family.name, (_LegacyMethods, base), attributes)


def _make_reparameterized_class(spec: _Reparameterized, family_class: type) -> type:
    family = family_class._legacy
    by_keyword = {keyword: name for name, keyword, _ in spec.arguments}
    options = [
        p for p in family.signature.parameters.values()
        if p.name not in family.family.base.parameter_properties()
    ]
    signature = inspect.Signature(
        [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for name in by_keyword.values()
        ]
        + options
    )

    @classmethod
    def _parameter_properties(cls, dtype=tf.float32, num_classes=None):
        base = family.family.base.parameter_properties(dtype, num_classes=num_classes)
        properties = {}
        for name, keyword, transform in spec.arguments:
            properties[name] = base[keyword]
            if transform is not None:
                properties[name] = base[keyword]._replace(
                    default_constraining_bijector_fn=transform.raw_constraint(
                        base[keyword].default_constraining_bijector_fn
                    )
                )
        return properties

    legacy = _ReparameterizedSpec(spec, family_class, signature)
    attributes = {
        "__module__": __name__,
        "__qualname__": spec.name,
        "__doc__": (
            f"TF 1.x `{spec.name}{signature}`: builds `{family_class.__name__}` with transformed "
            f"parameters, i.e. `{legacy.replacement()}`.\n\n"
            f"The result is a `{family_class.__name__}` instance (so it copies, slices and "
            "crosses `tf.function` boundaries like one). An eager variable argument is wrapped "
            "in a DeferredTensor, so the distribution follows its assignments. "
            "`param_static_shapes` and `parameter_properties` describe the raw arguments."
        ),
        "__signature__": signature,
        "_legacy": legacy,
        "_parameter_properties": _parameter_properties,
    }
    return type(family_class)(spec.name, (family_class,), attributes)


_LEGACY_CLASSES = {family.name: _make_family_class(family) for family in _FAMILIES}
_LEGACY_CLASSES.update(
    {
        spec.name: _make_reparameterized_class(spec, _LEGACY_CLASSES[spec.family])
        for spec in _REPARAMETERIZED
    }
)
globals().update(_LEGACY_CLASSES)

# ------------------------------------------------------------------------------ functions


@deprecation.legacy("distributions.kl", "tfp.distributions.kl_divergence")
def kl(dist_a: Any, dist_b: Any, allow_nan: bool = False, name: Optional[str] = None) -> tf.Tensor:
    """TF 1.0 `kl(dist_a, dist_b, allow_nan=False)`: the registered `KL(dist_a || dist_b)`.

    Args:
      dist_a, dist_b: distributions; a KL must be registered for their classes (or parents).
      allow_nan: if False (the TF 1.0 default), evaluating a NaN result raises
        `InvalidArgumentError`; TFP's `kl_divergence` defaults to allowing NaN.
      name: name scope of the ops.

    Returns:
      The KL divergence, shape the broadcast batch shape.

    Raises:
      NotImplementedError: no KL is registered for the pair.
    """
    # Departure: TFP's kl_divergence reports a non-distribution as "No KL registered" for its type.
    dist_util.check_distribution(dist_a, "dist_a")
    dist_util.check_distribution(dist_b, "dist_b")
    # Legacy: the NaN check is on unless asked off, unlike kl_divergence's default.
    return tfd.kl_divergence(dist_a, dist_b, allow_nan_stats=allow_nan, name=name)


@deprecation.legacy("distributions.softplus_inverse", "tfp.math.softplus_inverse")
def softplus_inverse(x: Any, name: Optional[str] = None) -> tf.Tensor:
    """`log(exp(x) - 1)`, the inverse of softplus, computed stably (`tfp.math`'s)."""
    checks.check_real(x, "x")
    return tfp.math.softplus_inverse(x, name=name)


def _as_legacy_normal(dist: Any) -> Any:
    return _LEGACY_CLASSES["Normal"](**dist.parameters)


@deprecation.legacy(
    "distributions.normal_conjugates_known_sigma_posterior",
    "tfp.distributions.normal_conjugates_known_scale_posterior(prior, scale, s, n)",
)
def normal_conjugates_known_sigma_posterior(prior: Any, sigma: Any, s: Any, n: Any) -> Any:
    """Posterior `Normal` of the mean of Normal data with known `sigma`, given a `Normal` prior.

    ```none
    1 / scale'^2 = 1 / prior.scale^2 + n / sigma^2
    loc'         = scale'^2 * (prior.loc / prior.scale^2 + s / sigma^2)
    ```

    Args:
      prior: `Normal` prior of the mean.
      sigma: known standard deviation of each observation.
      s: sum of the `n` observations.
      n: number of observations.

    Returns:
      The posterior, a legacy `Normal`.
    """
    return _as_legacy_normal(tfd.normal_conjugates_known_scale_posterior(prior, sigma, s, n))


@deprecation.legacy(
    "distributions.normal_conjugates_known_sigma_predictive",
    "tfp.distributions.normal_conjugates_known_scale_predictive(prior, scale, s, n)",
)
def normal_conjugates_known_sigma_predictive(prior: Any, sigma: Any, s: Any, n: Any) -> Any:
    """Posterior predictive `Normal` of a new observation of Normal data with known `sigma`.

    ```none
    predictive = Normal(loc', sqrt(scale'^2 + sigma^2))
    ```

    with `loc'`, `scale'` those of `normal_conjugates_known_sigma_posterior`.

    Args:
      prior, sigma, s, n: as for `normal_conjugates_known_sigma_posterior`.

    Returns:
      The predictive distribution, a legacy `Normal`.
    """
    return _as_legacy_normal(tfd.normal_conjugates_known_scale_predictive(prior, sigma, s, n))


__all__ = sorted(
    set(tfd.__all__)
    | set(_LEGACY_CLASSES)
    | {
        "kl",
        "normal_conjugates_known_sigma_posterior",
        "normal_conjugates_known_sigma_predictive",
        "softplus_inverse",
    }
)
