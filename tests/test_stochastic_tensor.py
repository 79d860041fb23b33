"""Tests of `stochastic_tensor`: value rules, value-type context, conversion, registration."""
import gc
import threading
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import helpers
from tf_contrib_bayesflow import BayesflowDeprecationWarning
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
        st_lib.ObservedStochasticTensor(tfd.Normal, 1.0)
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
