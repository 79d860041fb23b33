"""Tests of `stochastic_tensor`: value rules, value-type context, conversion, registration."""
import gc
import re
import threading
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import BayesflowDeprecationWarning
from tf_contrib_bayesflow import distributions as legacy_dist
from tf_contrib_bayesflow import stochastic_gradient_estimators as sge
from tf_contrib_bayesflow import stochastic_tensor as st_lib
from tf_contrib_bayesflow._internal import registry

tfd = tfp.distributions
v1d = tf.compat.v1.distributions
COLLECTION = st_lib.STOCHASTIC_TENSOR_COLLECTION


class NotParamNormal(tfd.Normal):
    """The legacy tests' trick: a Normal that reports it is not reparameterized."""

    @property
    def reparameterization_type(self):
        return tfd.NOT_REPARAMETERIZED


# ---------------------------------------------------------------- the value rules (spec table)

# (value type, reparameterized?) -> (value carries a gradient?, loss() is a term?)
VALUE_RULES = [
    (lambda: st_lib.SampleValue(), True, True, False),
    (lambda: st_lib.SampleValue(), False, False, True),
    (lambda: st_lib.SampleValue(stop_gradient=True), True, False, True),
    (lambda: st_lib.SampleValue(stop_gradient=True), False, False, True),
    (lambda: st_lib.MeanValue(), True, True, False),
    (lambda: st_lib.MeanValue(), False, True, False),
    (lambda: st_lib.MeanValue(stop_gradient=True), True, False, True),
    (lambda: st_lib.MeanValue(stop_gradient=True), False, False, True),
]


@pytest.mark.parametrize(
    "make_vt, reparameterized, has_gradient, has_loss",
    VALUE_RULES,
    ids=[f"{i}" for i in range(len(VALUE_RULES))],
)
def test_value_and_loss_rules(regime, make_vt, reparameterized, has_gradient, has_loss):
    def fn():
        loc = tf.constant([0.5, -1.0])
        with tf.GradientTape() as tape:
            tape.watch(loc)
            cls = tfd.Normal if reparameterized else NotParamNormal
            stochastic = st_lib.StochasticTensor(cls(loc, 1.0), dist_value_type=make_vt())
            total = tf.reduce_sum(stochastic)
        grad = tape.gradient(total, loc)
        loss = stochastic.loss(tf.constant([3.0, 3.0]))
        expected_loss = None
        if loss is not None:
            expected_loss = stochastic.distribution.log_prob(stochastic.value()) * 3.0
        return grad, loss, expected_loss

    grad, loss, expected_loss = regime.run(fn)
    if has_gradient:
        np.testing.assert_array_equal(grad, [1.0, 1.0])
    else:
        assert grad is None
    assert (loss is not None) == has_loss
    if has_loss:
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)


def test_loss_fn_none_gives_no_term(regime):
    def fn():
        stochastic = st_lib.StochasticTensor(NotParamNormal(0.0, 1.0), loss_fn=None)
        assert stochastic.loss([1.0]) is None
        return stochastic.value()

    assert np.isfinite(regime.run(fn))


def test_mean_value_with_stop_gradient_scores_at_the_mean(regime):
    # Legacy test: loss([2.0]) == log_prob(mu) * 2 and, with a constant baseline 8, * (2 - 8).
    mu = np.arange(6, dtype=np.float32).reshape(2, 3)

    def fn():
        dist = tfd.Normal(mu, 1.0)
        plain = st_lib.StochasticTensor(dist, dist_value_type=st_lib.MeanValue(stop_gradient=True))
        based = st_lib.StochasticTensor(
            dist,
            dist_value_type=st_lib.MeanValue(stop_gradient=True),
            loss_fn=sge.get_score_function_with_constant_baseline(8.0),
        )
        return plain.value(), plain.loss([2.0]), based.loss([2.0])

    value, plain, based = regime.run(fn)
    np.testing.assert_array_equal(value, mu)
    log_prob_at_mu = np.full((2, 3), -0.5 * np.log(2 * np.pi), np.float32)
    np.testing.assert_allclose(plain, log_prob_at_mu * 2.0, rtol=1e-6)
    np.testing.assert_allclose(based, log_prob_at_mu * (2.0 - 8.0), rtol=1e-6)


@pytest.mark.parametrize(
    "shape, expected",
    [((), (2, 3)), (1, (1, 2, 3)), (2, (2, 2, 3)), ((4, 1), (4, 1, 2, 3)), ("tensor", (3, 2, 3))],
)
def test_sample_value_shapes(regime, shape, expected):
    def fn():
        sample_shape = tf.constant(3, tf.int32) if shape == "tensor" else shape
        dist = tfd.Normal(tf.zeros([2, 3]), 1.0)
        stochastic = st_lib.StochasticTensor(dist, dist_value_type=st_lib.SampleValue(sample_shape))
        assert stochastic.shape == expected  # static shape known in every regime
        return stochastic.value()

    assert regime.run(fn).shape == expected


def test_value_is_cached_and_members_delegate(regime):
    def fn():
        dist = tfd.Normal(tf.constant([1.0, 2.0]), 3.0)
        a = st_lib.StochasticTensor(dist)
        b = st_lib.StochasticTensor(tfd.Normal(tf.constant([1.0, 2.0]), 3.0))
        assert a.value() is a.value(name="other") and tf.convert_to_tensor(a) is a.value()
        assert a.distribution is dist and a.dtype == tf.float32
        assert isinstance(a.value_type, st_lib.SampleValue)
        return a.value(), b.value(), a.entropy(), dist.entropy(), a.mean()

    a, b, entropy, expected_entropy, mean = regime.run(fn)
    assert np.all(a != b)  # two draws from equal distributions differ
    np.testing.assert_array_equal(entropy, expected_entropy)
    np.testing.assert_array_equal(mean, [1.0, 2.0])


def test_value_drawn_once_per_evaluation(regime):
    # One draw per Session.run (graph) or per call (tf.function / eager step).
    draws = regime.iterate(
        lambda: lambda: tf.identity(st_lib.StochasticTensor(tfd.Normal(tf.zeros(4), 1.0))), 3
    )
    assert len({tuple(d) for d in draws}) == 3


@pytest.mark.parametrize("family", ["tfp", "v1"])
def test_both_distribution_families(regime, family):
    def fn():
        fam = tfd if family == "tfp" else v1d
        loc = tf.constant(0.3)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(loc)
            normal = st_lib.StochasticTensor(fam.Normal(loc, 1.0))
            bernoulli = st_lib.StochasticTensor(fam.Bernoulli(logits=loc, dtype=tf.float32))
            normal_value, bernoulli_value = tf.identity(normal), tf.identity(bernoulli)
        assert normal.loss(1.0) is None and bernoulli.loss(1.0) is not None
        return tape.gradient(normal_value, loc), tape.gradient(bernoulli_value, loc)

    normal_grad, bernoulli_grad = regime.run(fn)
    assert normal_grad == 1.0 and bernoulli_grad is None


# ---------------------------------------------------------------- tensor conversion


def test_converts_wherever_a_tensor_is_expected(regime):
    def fn():
        choice = st_lib.StochasticTensor(
            tfd.Categorical(logits=tf.zeros([6, 2])), dist_value_type=st_lib.SampleValue()
        )
        normal = st_lib.StochasticTensor(tfd.Normal(tf.ones([2, 3]), 1.0))
        parts = tf.dynamic_partition(tf.range(6), choice, 2)
        as_float = tf.cast(choice, tf.float32)
        joined = tf.concat([normal, normal], axis=0)
        product = tf.matmul(tf.ones([1, 2]), normal)
        log_prob = tfd.Normal(loc=normal, scale=1.0).log_prob(normal)
        shifted = tf.ones([2, 3]) + normal  # tensor + st works (no operator overloads on st)
        return choice.value(), parts, as_float, joined, normal.value(), product, log_prob, shifted

    choice, parts, as_float, joined, normal, product, log_prob, shifted = regime.run(fn)
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(6))
    np.testing.assert_array_equal(parts[1], np.nonzero(choice == 1)[0])
    np.testing.assert_array_equal(as_float, choice.astype(np.float32))
    np.testing.assert_array_equal(joined, np.concatenate([normal, normal]))
    np.testing.assert_allclose(product, normal.sum(0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(log_prob, -0.5 * np.log(2 * np.pi) * np.ones((2, 3)), rtol=1e-6)
    np.testing.assert_allclose(shifted, normal + 1.0, rtol=1e-6)


def test_conversion_errors():
    stochastic = st_lib.StochasticTensor(tfd.Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="Incompatible type conversion requested to type 'int32'"):
        tf.convert_to_tensor(stochastic, dtype=tf.int32)
    with pytest.raises(ValueError, match="Ref type is not supported"):
        st_lib._tensor_conversion(stochastic, as_ref=True)
    assert tf.convert_to_tensor(stochastic, dtype=tf.float32) is stochastic.value()
    with pytest.raises(TypeError):
        stochastic + 1.0  # noqa: B018  (legacy: no operator overloads)


def test_keras_layers_accept_a_stochastic_tensor(regime):
    import keras
    import tf_keras

    if regime.is_graph:
        layers = [tf_keras.layers.Dense(2, kernel_initializer="ones")]
    else:
        layers = [
            tf_keras.layers.Dense(2, kernel_initializer="ones"),
            keras.layers.Dense(2, kernel_initializer="ones"),
        ]

    def make_step():
        def step():
            stochastic = st_lib.StochasticTensor(tfd.Normal(tf.zeros([4, 3]), 1.0))
            return stochastic.value(), [layer(stochastic) for layer in layers]

        return step

    value, outputs = regime.iterate(make_step, 1)[0]
    for output in outputs:
        np.testing.assert_allclose(output, np.repeat(value.sum(1, keepdims=True), 2, 1), rtol=1e-5)


def test_slim_layers_accept_a_stochastic_tensor():
    slim = pytest.importorskip("tf_slim")
    with tf.Graph().as_default():
        stochastic = st_lib.StochasticTensor(tfd.Normal(tf.zeros([4, 3]), 1.0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # slim's own use of deprecated Keras APIs
            out = slim.fully_connected(stochastic, 2)
        assert out.shape == (4, 2)


# ---------------------------------------------------------------- value-type context


class _RecordingSample(st_lib.SampleValue):
    def __init__(self, log, label):
        super().__init__()
        self.log, self.label = log, label

    def pushed_above(self, vt):
        self.log.append((self.label, "pushed", vt.label))

    def popped_above(self, vt):
        self.log.append((self.label, "popped", vt.label))


def test_value_type_stack_hooks_and_current():
    log = []
    outer, inner = _RecordingSample(log, "outer"), _RecordingSample(log, "inner")
    with st_lib.value_type(outer) as entered:
        assert entered is outer and st_lib.get_current_value_type() is outer
        with st_lib.value_type(inner):
            assert st_lib.get_current_value_type() is inner
        assert st_lib.get_current_value_type() is outer
    assert log == [("outer", "pushed", "inner"), ("outer", "popped", "inner")]
    with pytest.raises(st_lib.NoValueTypeSetError, match="No value type currently set"):
        st_lib.get_current_value_type()
    assert issubclass(st_lib.NoValueTypeSetError, ValueError)


def test_value_type_block_sets_the_stochastic_tensor_value(regime):
    def fn():
        dist = tfd.Normal(tf.constant([1.0, 2.0]), 1.0)
        with st_lib.value_type(st_lib.MeanValue()):
            in_block = st_lib.StochasticTensor(dist)
            explicit = st_lib.StochasticTensor(dist, dist_value_type=st_lib.SampleValue(3))
        after = st_lib.StochasticTensor(dist)
        assert isinstance(in_block.value_type, st_lib.MeanValue)
        assert isinstance(after.value_type, st_lib.SampleValue) and after.value_type.shape == ()
        return in_block.value(), explicit.value()

    mean, sample = regime.run(fn)
    np.testing.assert_array_equal(mean, [1.0, 2.0])
    assert sample.shape == (3, 2)


def test_value_type_unwinds_on_exception():
    # Departure: legacy left the value type on the stack after an exception in the block.
    with pytest.raises(RuntimeError, match="boom"):
        with st_lib.value_type(st_lib.MeanValue()):
            raise RuntimeError("boom")
    with pytest.raises(st_lib.NoValueTypeSetError):
        st_lib.get_current_value_type()


def test_value_type_stack_is_per_thread():
    seen = []
    with st_lib.value_type(st_lib.MeanValue()):
        thread = threading.Thread(target=lambda: seen.append(_current_or_none()))
        thread.start()
        thread.join()
        seen.append(_current_or_none())
    assert seen[0] is None and isinstance(seen[1], st_lib.MeanValue)


def _current_or_none():
    try:
        return st_lib.get_current_value_type()
    except st_lib.NoValueTypeSetError:
        return None


# ---------------------------------------------------------------- registration


def test_graph_mode_collection_in_construction_order():
    with tf.Graph().as_default():
        dist = tfd.Normal(0.0, 1.0)
        made = [st_lib.StochasticTensor(dist) for _ in range(3)]
        observed = st_lib.ObservedStochasticTensor(dist, 1.0)
        assert tf.compat.v1.get_collection(COLLECTION) == made + [observed]
        assert [m.name for m in made] == [
            "StochasticTensor/", "StochasticTensor_1/", "StochasticTensor_2/"
        ]
        assert observed.name == "ObservedStochasticTensor/"
        assert made[0].graph is tf.compat.v1.get_default_graph()
        assert st_lib._registered_stochastic_tensors() == made + [observed]


def test_function_registers_in_its_own_graph_and_filters_inherited_entries():
    global_graph = tf.compat.v1.get_default_graph()
    global_graph.add_to_collection(COLLECTION, "legacy junk added eagerly")
    try:
        outer = st_lib.StochasticTensor(tfd.Normal(0.0, 1.0))

        @tf.function
        def fn():
            inner = st_lib.StochasticTensor(tfd.Normal(0.0, 1.0))
            graph = tf.compat.v1.get_default_graph()
            # The FuncGraph inherits the outer collection; the registry filters it by graph.
            assert "legacy junk added eagerly" in graph.get_collection(COLLECTION)
            assert inner in graph.get_collection(COLLECTION)
            visible = st_lib._registered_stochastic_tensors()
            assert visible[-1] is inner and any(s is outer for s in visible)
            assert "legacy junk added eagerly" not in visible
            return inner.value()

        fn()
        assert global_graph.get_collection(COLLECTION) == ["legacy junk added eagerly"]
        assert outer.graph is None
    finally:
        global_graph.clear_collection(COLLECTION)


def test_eager_registration_does_not_accumulate():
    gc.collect()
    before = registry.eager_entry_count(COLLECTION)
    kept = [st_lib.StochasticTensor(tfd.Normal(0.0, 1.0)) for _ in range(20)]
    assert registry.eager_entry_count(COLLECTION) == before + 20
    for _ in range(50):  # a "training loop" that drops its stochastic tensors
        st_lib.StochasticTensor(tfd.Normal(0.0, 1.0))
    # Nothing went into a graph collection, and dropped tensors are forgotten.
    assert tf.compat.v1.get_default_graph().get_collection(COLLECTION) == []
    gc.collect()
    assert registry.eager_entry_count(COLLECTION) == before + 20
    del kept
    gc.collect()
    assert registry.eager_entry_count(COLLECTION) == before


# ---------------------------------------------------------------- ObservedStochasticTensor


def test_observed_value_and_no_loss(regime):
    def fn():
        dist = tfd.Normal(tf.zeros([3]), 1.0)
        observed = st_lib.ObservedStochasticTensor(dist, tf.zeros([2, 3]))
        assert observed.loss(tf.ones([2, 3])) is None
        with pytest.raises(AttributeError, match="no value_type"):
            observed.value_type  # noqa: B018  (legacy: never set)
        return observed.value(), tf.convert_to_tensor(observed)

    value, converted = regime.run(fn)
    np.testing.assert_array_equal(value, np.zeros((2, 3)))
    np.testing.assert_array_equal(converted, value)


def test_observed_accepts_unknown_shapes():
    with tf.Graph().as_default():
        dist = tfd.Normal(tf.zeros([2]), 1.0)
        for shape in (None, [None], [None, 2]):
            observed = st_lib.ObservedStochasticTensor(
                dist, tf.compat.v1.placeholder(tf.float32, shape)
            )
            assert observed.value().dtype == tf.float32


@pytest.mark.parametrize(
    "value, match",
    [
        (np.zeros(3, np.float32), "incompatible with the shape"),
        (np.zeros((3, 1), np.float32), "incompatible with the shape"),
        (np.zeros(2, np.int32), "does not match type of distribution"),
        (np.float32(0.0), "Rank of observed value"),
    ],
)
def test_observed_rejects_bad_values(value, match):
    with pytest.raises(ValueError, match=match):
        st_lib.ObservedStochasticTensor(tfd.Normal(tf.zeros([2]), 1.0), value)


# ---------------------------------------------------------------- bad input and warnings


class _UnknownValueType(st_lib._StochasticValueType):
    stop_gradient = False


def test_bad_arguments():
    dist = tfd.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="dist must be an instance of Distribution"):
        st_lib.StochasticTensor(tf.constant(1.0))
    with pytest.raises(TypeError, match="dist must be an instance of Distribution"):
        st_lib.ObservedStochasticTensor(tf.constant(1.0), 1.0)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        st_lib.StochasticTensor(dist, loss_fn="score_function")
    with pytest.raises(TypeError, match="dist_value_type must be a Distribution Value Type"):
        st_lib.StochasticTensor(dist, dist_value_type="mean")
    with pytest.raises(TypeError, match="Distribution Value Type"):
        with st_lib.value_type(st_lib.MeanValue):  # the class, not an instance
            pass
    with pytest.raises(TypeError, match="Unrecognized Distribution Value Type"):
        st_lib.StochasticTensor(dist, dist_value_type=_UnknownValueType())
    with pytest.raises(TypeError):
        st_lib.BaseStochasticTensor()  # abstract
    # None of the failures above left a value type behind.
    assert _current_or_none() is None


@pytest.mark.usefixtures("fresh_deprecations")
def test_each_symbol_warns_once_at_the_call_site():
    dist = tfd.Normal(0.0, 1.0)
    with pytest.warns(BayesflowDeprecationWarning, match="stochastic_tensor.StochasticTensor") as rec:
        st_lib.StochasticTensor(dist)
    assert rec[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st_lib.StochasticTensor(dist)  # second construction: silent
    for call, symbol in [
        (lambda: st_lib.MeanValue(), "MeanValue"),
        (lambda: st_lib.SampleValue(), "SampleValue"),
        (lambda: st_lib.ObservedStochasticTensor(dist, 0.0), "ObservedStochasticTensor"),
        (lambda: st_lib.value_type(st_lib.SampleValue()), "value_type"),
        (lambda: _current_or_none(), "get_current_value_type"),
    ]:
        with pytest.warns(BayesflowDeprecationWarning, match=f"stochastic_tensor.{symbol}"):
            call()


# ---------------------------------------------------------------- TF 0.11 forms

# family -> (distribution class, its keyword arguments for a location tensor and scale 2)
CLASS_FORMS = {
    "tfp": (tfd.Normal, lambda loc: {"loc": loc, "scale": 2.0}),
    "legacy-1.0-keywords": (legacy_dist.Normal, lambda loc: {"mu": loc, "sigma": 2.0}),
    "v1": (v1d.Normal, lambda loc: {"loc": loc, "scale": 2.0}),
}


@pytest.mark.parametrize("family", sorted(CLASS_FORMS))
def test_class_form_builds_dist_cls_of_dist_args(regime, family):
    cls, make_args = CLASS_FORMS[family]

    def fn():
        loc = tf.constant([0.5, -1.0])
        with tf.GradientTape() as tape:
            tape.watch(loc)
            args = make_args(loc)
            sample = st_lib.StochasticTensor(cls, **args)
            mean = st_lib.StochasticTensor(cls, dist_value_type=st_lib.MeanValue(), **args)
            total = tf.reduce_sum(sample)
        assert isinstance(sample.distribution, cls) and sample.dtype == tf.float32
        assert sample.input_dict.keys() == args.keys()
        assert all(sample.input_dict[key] is args[key] for key in args)
        assert sample.loss(1.0) is None  # reparameterized: pathwise gradient, no score term
        return mean.value(), tape.gradient(total, loc), sample.distribution.stddev()

    mean, grad, stddev = regime.run(fn)
    np.testing.assert_array_equal(mean, [0.5, -1.0])
    np.testing.assert_array_equal(grad, [1.0, 1.0])
    np.testing.assert_array_equal(stddev, [2.0, 2.0])


def _bernoulli_log_prob(x, p):
    return x * np.log(p) + (1.0 - x) * np.log1p(-p)


def test_class_form_of_a_discrete_distribution_scores(regime):
    probs = np.array([0.2, 0.7], np.float32)

    def fn():
        p = tf.constant(probs)
        with tf.GradientTape() as tape:
            tape.watch(p)
            # TF 1.0 keyword `p` through the TF 0.11 class form.
            mask = st_lib.StochasticTensor(legacy_dist.Bernoulli, p=p, dtype=tf.float32)
            total = tf.reduce_sum(mask)
        return mask.value(), tape.gradient(total, p), mask.loss(tf.constant([3.0, 5.0]))

    value, grad, loss = regime.run(fn)
    assert grad is None  # the sample is stop-gradiented
    np.testing.assert_allclose(loss, _bernoulli_log_prob(value, probs) * [3.0, 5.0], rtol=1e-6)


class _RecordingInputs(st_lib.SampleValue):
    def __init__(self):
        super().__init__()
        self.declared = []

    def declare_inputs(self, stochastic_tensor, inputs_dict):
        self.declared.append((stochastic_tensor, inputs_dict))


def test_class_form_name_scope_and_declared_inputs():
    with tf.Graph().as_default():
        recording = _RecordingInputs()
        named = st_lib.StochasticTensor(tfd.Normal, dist_value_type=recording, loc=0.0, scale=1.0)
        unnamed = st_lib.StochasticTensor(tfd.Normal, name=None, loc=0.0, scale=1.0)
        instance_unnamed = st_lib.StochasticTensor(tfd.Normal(0.0, 1.0), name=None)
        # Legacy: the TF 0.11 form defaults its scope even for name=None; the 0.12 form does not.
        assert (named.name, unnamed.name, instance_unnamed.name) == (
            "StochasticTensor/", "StochasticTensor_1/", ""
        )
        assert named.value().name.startswith("StochasticTensor/")
        assert recording.declared == [(named, {"loc": 0.0, "scale": 1.0})]
        assert tf.compat.v1.get_collection(COLLECTION) == [named, unnamed, instance_unnamed]


def test_clone_uses_new_arguments_default_loss_fn_and_current_value_type(regime):
    def fn():
        original = st_lib.StochasticTensor(
            legacy_dist.Bernoulli, dist_value_type=st_lib.MeanValue(), loss_fn=None,
            logits=0.0, dtype=tf.float32,
        )
        with st_lib.value_type(st_lib.MeanValue()):
            as_mean = original.clone(probs=tf.constant([0.25, 0.5]), dtype=tf.float32)
        as_sample = original.clone(name="again", probs=tf.constant([0.25, 0.5]), dtype=tf.float32)
        assert type(as_mean) is st_lib.StochasticTensor
        assert isinstance(as_mean.value_type, st_lib.MeanValue)
        assert isinstance(as_sample.value_type, st_lib.SampleValue)
        assert set(as_sample.input_dict) == {"probs", "dtype"}
        assert original.loss(1.0) is None
        # The default loss_fn (score_function), not the original's None.
        return as_mean.value(), as_sample.value(), as_sample.loss(tf.constant([2.0, 2.0]))

    mean, sample, loss = regime.run(fn)
    np.testing.assert_array_equal(mean, [0.25, 0.5])
    np.testing.assert_allclose(loss, _bernoulli_log_prob(sample, np.array([0.25, 0.5])) * 2.0,
                               rtol=1e-6)


def test_observed_class_form(regime):
    def fn():
        observed = st_lib.ObservedStochasticTensor(
            legacy_dist.Normal, tf.ones([4, 2]), mu=tf.zeros([2]), sigma=1.0
        )
        assert observed.loss(1.0) is None and set(observed.input_dict) == {"mu", "sigma"}
        return observed.value(), observed.distribution.loc

    value, loc = regime.run(fn)
    np.testing.assert_array_equal(value, np.ones((4, 2)))
    np.testing.assert_array_equal(loc, [0.0, 0.0])


def test_class_form_errors():
    dist = tfd.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['mu', 'sigma'\].*class"):
        st_lib.StochasticTensor(dist, mu=0.0, sigma=1.0)
    with pytest.raises(TypeError, match=r"ObservedStochasticTensor got unexpected .*\['loc'\]"):
        st_lib.ObservedStochasticTensor(dist, 0.0, loc=1.0)
    for not_a_distribution_class in (dict, st_lib.StochasticTensor):
        with pytest.raises(TypeError, match="dist must be an instance of Distribution, or"):
            st_lib.StochasticTensor(not_a_distribution_class, loc=0.0)
    with pytest.raises(TypeError, match="scale"):
        st_lib.StochasticTensor(tfd.Normal, loc=0.0)  # the class's own argument error
    instance_form = st_lib.StochasticTensor(dist)
    with pytest.raises(AttributeError, match="input_dict exists only .* distribution class"):
        instance_form.input_dict  # noqa: B018
    with pytest.raises(TypeError, match="clone.. needs a StochasticTensor built from a"):
        instance_form.clone(loc=1.0, scale=1.0)
    assert _current_or_none() is None


# `<Name>Tensor` classes


def test_wrappers(regime):
    def fn():
        mu = tf.constant([1.0, -2.0])
        with st_lib.value_type(st_lib.MeanValue()):
            normal = st_lib.NormalTensor(mu=mu, sigma=1.0)
        softplus = st_lib.NormalWithSoftplusSigmaTensor(mu=mu, sigma=tf.constant([-1.0, 2.0]))
        mask = st_lib.BernoulliTensor(
            name="mask", logits=tf.constant([0.0, 1.0]), dtype=tf.float32, loss_fn=None
        )
        assert isinstance(normal, st_lib.StochasticTensor)
        assert type(normal).__name__ == "NormalTensor"
        assert normal.input_dict["mu"] is mu and normal.input_dict["sigma"] == 1.0
        assert mask.loss(1.0) is None
        return normal.value(), softplus.distribution.stddev(), mask.value()

    mean, stddev, mask = regime.run(fn)
    np.testing.assert_array_equal(mean, [1.0, -2.0])
    np.testing.assert_allclose(stddev, np.log1p(np.exp([-1.0, 2.0])), rtol=1e-6)
    assert set(np.unique(mask)) <= {0.0, 1.0}


def test_a_wrapper_for_every_distribution_class():
    classes = {
        name for name in legacy_dist.__all__
        if isinstance(getattr(legacy_dist, name), type)
        and issubclass(getattr(legacy_dist, name), tfd.Distribution)
    } - {"Distribution"}
    assert {"Normal", "Bernoulli", "NormalWithSoftplusSigma", "MultivariateNormalCholesky"} <= (
        classes
    )
    listed = dir(st_lib)
    for name in classes:
        wrapper = getattr(st_lib, f"{name}Tensor")
        assert issubclass(wrapper, st_lib.StochasticTensor) and f"{name}Tensor" in listed
        assert wrapper.__module__ == st_lib.__name__ and wrapper.__qualname__ == f"{name}Tensor"
    assert st_lib.NormalTensor is st_lib.NormalTensor  # created once
    from tf_contrib_bayesflow.stochastic_tensor import StudentTTensor  # noqa: E402

    assert StudentTTensor is st_lib.StudentTTensor
    # Created on access, so not in __all__ (a star import stays the documented surface).
    assert "NormalTensor" not in st_lib.__all__
    for missing in ("DistributionTensor", "FooTensor", "Normal"):
        with pytest.raises(AttributeError, match=f"has no attribute '{missing}'"):
            getattr(st_lib, missing)


# SampleValue(n=...) and SampleAndReshapeValue


@pytest.mark.parametrize("n", [1, 3, "tensor"])
def test_sample_value_n_keyword_is_the_shape(regime, n):
    expected = (3, 2) if n == "tensor" else (n, 2)

    def fn():
        count = tf.constant(3) if n == "tensor" else n
        dist = tfd.Normal(tf.zeros([2]), 1.0)
        by_n = st_lib.StochasticTensor(dist, dist_value_type=st_lib.SampleValue(n=count))
        by_shape = st_lib.StochasticTensor(dist, dist_value_type=st_lib.SampleValue(count))
        assert by_n.value_type.shape is count and by_n.shape == by_shape.shape == expected
        return by_n.value()

    assert regime.run(fn).shape == expected


def test_sample_value_n_errors():
    with pytest.raises(TypeError, match="both shape=2 and the TF 0.11 keyword n=3"):
        st_lib.SampleValue(2, n=3)
    for bad in (1.5, True, "2", tf.constant(2.0)):
        with pytest.raises(TypeError, match="n must be"):
            st_lib.SampleValue(n=bad)
        with pytest.raises(TypeError, match="n must be"):
            st_lib.SampleAndReshapeValue(bad)
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        st_lib.SampleValue(n=-1)
    with pytest.raises(ValueError, match="n must be >= 0, got -2"):
        st_lib.SampleAndReshapeValue(n=-2)


@pytest.mark.parametrize("n, expected", [(1, (2, 3)), (3, (6, 3)), ("tensor", (6, 3))])
def test_sample_and_reshape_value_merges_the_sample_dimension(regime, n, expected):
    loc = np.arange(6, dtype=np.float32).reshape(2, 3)

    def fn():
        count = tf.constant(3) if n == "tensor" else n
        dist = tfd.Deterministic(loc)
        merged = st_lib.StochasticTensor(dist, dist_value_type=st_lib.SampleAndReshapeValue(count))
        if n != "tensor":
            assert merged.shape == expected  # static shape kept
        with st_lib.value_type(st_lib.SampleAndReshapeValue(n=2)):
            in_block = st_lib.StochasticTensor(dist)
        return merged.value(), in_block.value()

    merged, in_block = regime.run(fn)
    # Draw-major order: the n copies of the (2, 3) batch stacked along the first dimension.
    np.testing.assert_array_equal(merged, np.tile(loc, (expected[0] // 2, 1)))
    np.testing.assert_array_equal(in_block, np.tile(loc, (2, 1)))


def test_sample_and_reshape_value_gradients_and_score(regime):
    probs = np.array([[0.2, 0.6, 0.9]], np.float32)  # batch (1, 3): draws merge into the 1

    def fn():
        loc, p = tf.constant(0.5), tf.constant(probs)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([loc, p])
            normal = st_lib.StochasticTensor(
                tfd.Normal(loc, 1.0), dist_value_type=st_lib.SampleAndReshapeValue(4)
            )
            stopped = st_lib.StochasticTensor(
                tfd.Normal(loc, 1.0),
                dist_value_type=st_lib.SampleAndReshapeValue(4, stop_gradient=True),
            )
            mask = st_lib.StochasticTensor(
                tfd.Bernoulli(probs=p, dtype=tf.float32),
                dist_value_type=st_lib.SampleAndReshapeValue(2),
            )
            sums = [tf.reduce_sum(x) for x in (normal, stopped, mask)]
        grads = [tape.gradient(total, source) for total, source in zip(sums, (loc, loc, p))]
        assert normal.loss(1.0) is None
        # n == 1 (the default) is one plain draw: no leading dimension, even for a scalar batch.
        single = st_lib.StochasticTensor(
            tfd.Normal(loc, 1.0), dist_value_type=st_lib.SampleAndReshapeValue()
        )
        assert single.shape == () and single.value_type.n == 1
        losses = tf.constant([1.0, 2.0, 3.0, 4.0])
        return (grads, stopped.value(), stopped.loss(losses), mask.value(),
                mask.loss(tf.constant([[1.0], [-1.0]])))

    (normal_grad, stopped_grad, mask_grad), stopped, stopped_loss, mask, mask_loss = regime.run(fn)
    assert normal_grad == 4.0 and stopped_grad is None and mask_grad is None
    assert stopped.shape == (4,) and mask.shape == (2, 3)
    normal_log_prob = -0.5 * (stopped - 0.5) ** 2 - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(stopped_loss, normal_log_prob * [1.0, 2.0, 3.0, 4.0], rtol=1e-5)
    np.testing.assert_allclose(
        mask_loss, _bernoulli_log_prob(mask, probs) * [[1.0], [-1.0]], rtol=1e-5
    )


def test_sample_and_reshape_value_that_log_prob_cannot_score_raises():
    # Batch (2,): 3 draws merge into a (6,) value, which log_prob cannot line up with (2,).
    mask = st_lib.StochasticTensor(
        tfd.Bernoulli(logits=[0.0, 1.0]), dist_value_type=st_lib.SampleAndReshapeValue(3)
    )
    assert mask.shape == (6,)
    with pytest.raises(ValueError, match=r"does not line up .*Use SampleValue\(n\)"):
        mask.loss(tf.ones([6]))
    with pytest.raises(ValueError, match="does not line up"):
        mask._score_log_prob()
    reparameterized = st_lib.StochasticTensor(
        tfd.Normal([0.0, 1.0], 1.0), dist_value_type=st_lib.SampleAndReshapeValue(3)
    )
    assert reparameterized.loss(tf.ones([6])) is None  # no score term needed, nothing to check


@pytest.mark.usefixtures("fresh_deprecations")
def test_each_tf_0_11_form_warns_once_with_its_modern_spelling():
    forms = [
        (lambda: st_lib.StochasticTensor(tfd.Normal, loc=0.0, scale=1.0),
         r"StochasticTensor\(dist_cls, \*\*dist_args\).*"
         r"write StochasticTensor\(dist_cls\(\*\*dist_args\)\)"),
        (lambda: st_lib.NormalTensor(loc=0.0, scale=1.0),
         r"NormalTensor \(TF 0.11 form\).*write StochasticTensor\(Normal\(\*\*dist_args\)\)"),
        (lambda: st_lib.SampleValue(n=2), r"SampleValue\(n=...\).*write SampleValue\(n\)"),
        (lambda: st_lib.SampleAndReshapeValue(2),
         r"SampleAndReshapeValue .*write SampleValue\(n\)"),
        (lambda: st_lib.ObservedStochasticTensor(tfd.Normal, 0.0, loc=0.0, scale=1.0),
         r"write ObservedStochasticTensor\(dist_cls\(\*\*dist_args\), value\)"),
    ]
    for make, message in forms:
        with pytest.warns(BayesflowDeprecationWarning) as rec:
            make()
        ours = [w for w in rec if re.search(message, str(w.message))]
        assert len(ours) == 1, [str(w.message) for w in rec]
        assert ours[0].filename == __file__
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            make()  # second use: silent
