"""Score-function gradient estimators: the legacy `tf.contrib.bayesflow.stochastic_gradient_estimators`.

Each estimator is a `loss_fn` for a `StochasticTensor`: called as `loss_fn(st, value, loss)` by
`st.loss(...)` (from `stochastic_graph.surrogate_loss`), it returns a *surrogate* tensor whose value
means nothing and whose gradient is the score-function (REINFORCE) estimator

```none
grad E_p[loss] ~= grad log p(value) * (loss - baseline)
surrogate       = log p(value) * stop(loss - baseline)
```

The module only needs the stochastic tensor's `.distribution`, so it imports nothing from
`stochastic_tensor` (which imports `score_function` from here as its default `loss_fn`).

Stateful baselines (`get_mean_baseline`): in `tf.compat.v1` graph mode every call of the returned
baseline function builds fresh state, updated each time the baseline tensor is evaluated (legacy).
In eager mode and inside `tf.function` a baseline function creates its state variables once, on
its first call, and updates them on every call; create the baseline function outside
`tf.function`, since a function retraced later cannot create variables.

#### References

Williams, R. J. Simple statistical gradient-following algorithms for connectionist reinforcement
learning. Machine Learning, 1992.

Mnih, A. and Rezende, D. J. Variational inference for Monte Carlo objectives (VIMCO). ICML, 2016.
"""
from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf

from tf_contrib_bayesflow._internal import checks
from tf_contrib_bayesflow._internal import deprecation
from tf_contrib_bayesflow._internal import distributions

# Legacy: get_vimco_advantage_fn is a public module attribute but was never listed in __all__.
__all__ = [
    "get_mean_baseline",
    "get_score_function_with_advantage",
    "get_score_function_with_baseline",
    "get_score_function_with_constant_baseline",
    "score_function",
]

_SCORE_FUNCTION_IN_TFP = (
    "tfp.monte_carlo.expectation(f, samples, log_prob, use_reparameterization=False)"
)


def _distribution_of(stochastic_tensor: Any) -> Any:
    dist = getattr(stochastic_tensor, "distribution", None)
    if not distributions.is_distribution(dist):
        raise TypeError(
            "stochastic_tensor must be a StochasticTensor (an object with a `distribution` "
            f"attribute holding a Distribution), got {type(stochastic_tensor).__name__}: "
            f"{stochastic_tensor!r}"
        )
    return dist


def _score_function(
    stochastic_tensor: Any, value: Any, loss: Any, baseline: Any = None, name: str = "ScoreFunction"
) -> tf.Tensor:
    dist = _distribution_of(stochastic_tensor)
    dtype = checks.floating_dtype(dist)
    for arg_name, argument in (("value", value), ("loss", loss), ("baseline", baseline)):
        if argument is not None:
            checks.check_real(argument, arg_name)
    with tf.name_scope(name or "ScoreFunction"):
        # Departure: a Python or NumPy value or loss takes the distribution's floating dtype
        # (legacy made it float32, which then failed against a float64 log_prob).
        value = tf.convert_to_tensor(value, dtype_hint=dtype, name="value")
        if dtype is not None:
            checks.check_same_dtype(value, dtype, "value", "stochastic_tensor's distribution")
        advantage = tf.convert_to_tensor(loss, dtype_hint=dtype, name="loss")
        if baseline is not None:
            # A Python or NumPy baseline takes the loss dtype (legacy made it float32 always).
            baseline = checks.as_tensor_of_dtype(
                baseline, advantage.dtype, "baseline", "loss", name="baseline"
            )
            advantage = advantage - baseline
        return _weighted_score(dist.log_prob(value), advantage, "loss")


def _weighted_score(log_prob: tf.Tensor, advantage: Any, arg_name: str) -> tf.Tensor:
    """`log_prob * stop(advantage)`, once `advantage` (named `arg_name`) is checked against it."""
    advantage = checks.as_tensor_of_dtype(
        advantage, log_prob.dtype, arg_name, "log_prob(value)", name="advantage"
    )
    checks.check_broadcastable([log_prob, advantage], f"log_prob(value) and {arg_name}")
    return log_prob * tf.stop_gradient(advantage)


@deprecation.legacy("stochastic_gradient_estimators.score_function", _SCORE_FUNCTION_IN_TFP)
def score_function(
    stochastic_tensor: Any, value: Any, loss: Any, baseline: Any = None, name: str = "ScoreFunction"
) -> tf.Tensor:
    """Score-function surrogate of a stochastic tensor's loss, optionally with a baseline.

    ```none
    surrogate = log p(value) * stop(loss - baseline)       (baseline omitted when None)
    gradient  = grad log p(value) * (loss - baseline)
    ```

    Args:
      stochastic_tensor: the `StochasticTensor` whose `distribution` gives `log p`.
      value: the sampled value (converted to a tensor).
      loss: the (already stop-gradiented) downstream loss; a tensor or a list (converted).
      baseline: optional tensor subtracted from `loss`; it carries no gradient either.
      name: name scope. Default 'ScoreFunction'.

    Returns:
      The surrogate, of the broadcast shape of `log p(value)` and `loss`.

    Raises:
      TypeError: `stochastic_tensor` has no distribution; `value`, `loss` or `baseline` is not
        a real number or tensor, or has another dtype than the distribution (`value`), its
        `log_prob` (`loss`) or the loss (`baseline`).
      ValueError: `loss` and `log_prob(value)` have static shapes that do not broadcast.
    """
    return _score_function(stochastic_tensor, value, loss, baseline, name)


@deprecation.legacy(
    "stochastic_gradient_estimators.get_score_function_with_advantage", _SCORE_FUNCTION_IN_TFP
)
def get_score_function_with_advantage(
    advantage_fn: Optional[Callable] = None, name: str = "ScoreFunctionWithAdvantage"
) -> Callable:
    """A `loss_fn` whose surrogate weights the score by `advantage_fn(st, loss)`.

    ```none
    surrogate = log p(value) * stop(advantage_fn(st, loss))
    ```

    Args:
      advantage_fn: callable `(stochastic_tensor, loss) -> advantage`, for example
        `get_vimco_advantage_fn()`.
      name: name scope of each call. Default 'ScoreFunctionWithAdvantage'.

    Returns:
      A callable `(stochastic_tensor, value, loss) -> surrogate`.

    Raises:
      TypeError: `advantage_fn` is not callable.
    """
    # Departure: legacy accepted advantage_fn=None here and failed only when the returned
    # function was called; the argument is required, so it is checked now.
    distributions.check_callable(advantage_fn, "advantage_fn")

    def score_function_with_advantage(stochastic_tensor, value, loss):
        dist = _distribution_of(stochastic_tensor)
        with tf.name_scope(name or "ScoreFunctionWithAdvantage"):
            advantage = advantage_fn(stochastic_tensor, loss)
            return _weighted_score(dist.log_prob(value), advantage, "advantage_fn(...)")

    return score_function_with_advantage


@deprecation.legacy(
    "stochastic_gradient_estimators.get_score_function_with_constant_baseline",
    "tfp.monte_carlo.expectation(lambda x: f(x) - baseline, samples, log_prob, "
    "use_reparameterization=False)",
)
def get_score_function_with_constant_baseline(baseline: Any, name: str = "ScoreFunction") -> Callable:
    """A `loss_fn` that subtracts a fixed `baseline` from the loss before weighting the score.

    ```none
    surrogate = log p(value) * stop(loss - baseline)
    ```

    Args:
      baseline: a tensor (or value convertible to one) broadcastable against the loss.
      name: name scope of each call. Default 'ScoreFunction'.

    Returns:
      A callable `(stochastic_tensor, value, loss) -> surrogate`.
    """
    if baseline is not None:  # Legacy: None means no baseline.
        checks.check_real(baseline, "baseline")

    def score_function_with_constant_baseline(stochastic_tensor, value, loss):
        return _score_function(stochastic_tensor, value, loss, baseline, name)

    return score_function_with_constant_baseline


@deprecation.legacy(
    "stochastic_gradient_estimators.get_score_function_with_baseline",
    "tfp.monte_carlo.expectation(lambda x: f(x) - baseline, samples, log_prob, "
    "use_reparameterization=False)",
)
def get_score_function_with_baseline(
    baseline_fn: Optional[Callable] = None, name: str = "ScoreFunction"
) -> Callable:
    """A `loss_fn` that subtracts `baseline_fn(st, loss)` from the loss before weighting the score.

    ```none
    b         = baseline_fn(st, loss)
    surrogate = log p(value) * stop(loss - b)
    ```

    Args:
      baseline_fn: callable `(stochastic_tensor, loss) -> baseline`. Default: one
        `get_mean_baseline()` made now and shared by every call of the returned function.
      name: name scope of each call. Default 'ScoreFunction'.

    Returns:
      A callable `(stochastic_tensor, value, loss) -> surrogate`.

    Raises:
      TypeError: `baseline_fn` is neither None nor callable.
    """
    if baseline_fn is None:
        baseline_fn = _mean_baseline_fn(0.99, None)
    distributions.check_callable(baseline_fn, "baseline_fn")

    def score_function_with_baseline(stochastic_tensor, value, loss):
        with tf.name_scope(name or "ScoreFunction"):
            baseline = baseline_fn(stochastic_tensor, loss)
            return _score_function(stochastic_tensor, value, loss, baseline)

    return score_function_with_baseline


def _in_legacy_graph_mode() -> bool:
    """A `tf.compat.v1` graph being built outside any `tf.function`."""
    graph = tf.compat.v1.get_default_graph()
    return not tf.compat.v1.executing_eagerly_outside_functions() and not graph.building_function


def _check_decay(ema_decay: Any) -> float:
    if isinstance(ema_decay, (bool, np.bool_)) or not isinstance(
        ema_decay, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"ema_decay must be a Python float, got {type(ema_decay).__name__}: {ema_decay!r}")
    if not 0.0 <= float(ema_decay) < 1.0:
        raise ValueError(f"ema_decay must be in [0, 1), got {ema_decay}")
    return float(ema_decay)


def _floating_loss(loss: Any) -> tf.Tensor:
    loss = tf.convert_to_tensor(loss, name="loss")
    checks.check_floating(loss, "loss")
    return loss


def _debiased_update(shadow: tf.Variable, steps: tf.Variable, mean: tf.Tensor, decay: float):
    """Runs one EMA update and returns the bias-corrected average read after it."""
    shadow_value = shadow.assign(decay * shadow + (1.0 - decay) * mean)
    step = tf.cast(steps.assign_add(1), mean.dtype)
    return shadow_value / (1.0 - tf.pow(tf.cast(decay, mean.dtype), step))


def _mean_baseline_fn(ema_decay: float, name: Optional[str]) -> Callable:
    decay = _check_decay(ema_decay)
    state = []  # [shadow, steps] once created (eager / tf.function)

    def mean_baseline(_, loss):
        if _in_legacy_graph_mode():
            # Legacy: every call builds fresh state in a (made-unique) variable scope; the
            # update runs each time the returned tensor is evaluated.
            with tf.compat.v1.variable_scope(name, default_name="MeanBaseline"):
                mean = tf.reduce_mean(_floating_loss(loss))
                # Outside any control-dependency or control-flow context of the caller, so the
                # initializers run on their own.
                with tf.init_scope():
                    shadow = tf.Variable(tf.zeros([], mean.dtype), trainable=False, name="biased")
                    steps = tf.Variable(
                        tf.zeros([], tf.int64), trainable=False, name="local_step"
                    )
                return _debiased_update(shadow, steps, mean, decay)
        with tf.name_scope(name or "MeanBaseline"):
            mean = tf.reduce_mean(_floating_loss(loss))
            if not state:
                state.extend(_create_state(mean.dtype))
            shadow, steps = state
            _check_distributed_state(shadow)
            if shadow.dtype != mean.dtype:
                raise TypeError(
                    f"This mean baseline was first used with {shadow.dtype.name} losses and "
                    f"now gets {mean.dtype.name}; use one baseline function per dtype."
                )
            return _debiased_update(shadow, steps, mean, decay)

    return mean_baseline


def _check_distributed_state(shadow: tf.Variable) -> None:
    """Raises when replicas of a tf.distribute strategy would share one plain state variable.

    A baseline first called outside a strategy holds ordinary variables; every replica would then
    update the same variable in the same step (one update per replica, racing), and each would
    read a different baseline.
    """
    context = tf.distribute.get_replica_context()
    if (
        context is not None
        and context.num_replicas_in_sync > 1
        and not isinstance(shadow, tf.distribute.DistributedValues)
    ):
        raise ValueError(
            "get_mean_baseline: this baseline function created its state outside the "
            f"tf.distribute strategy now running it on {context.num_replicas_in_sync} replicas, "
            "so all replicas would update one ordinary variable. Use a baseline function "
            "(get_mean_baseline / get_score_function_with_baseline) whose first call happens "
            "inside strategy.run."
        )


def _create_state(dtype: tf.DType) -> list:
    try:
        with tf.init_scope():
            # Under a tf.distribute strategy these become mirrored variables, updated in
            # replica context by every replica: MEAN makes the shadow's update use the mean
            # over replicas of their batch means (equal to one device's mean over the whole
            # batch when the shards have equal sizes), and the counter advances once per step.
            # Without an aggregation each replica silently kept its own average. Outside a
            # strategy the aggregation has no effect.
            return [
                tf.Variable(
                    tf.zeros([], dtype),
                    trainable=False,
                    name="MeanBaseline_biased",
                    aggregation=tf.VariableAggregation.MEAN,
                ),
                tf.Variable(
                    tf.zeros([], tf.int64),
                    trainable=False,
                    name="MeanBaseline_local_step",
                    aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
                ),
            ]
    except ValueError as error:
        raise ValueError(
            "get_mean_baseline: the baseline function was created inside a tf.function trace "
            "that is being traced again, so its state variables would be created twice. Create "
            "the baseline function (get_mean_baseline / get_score_function_with_baseline, and "
            "the StochasticTensor's loss_fn built from them) outside the tf.function. "
            f"TensorFlow said: {error}"
        ) from error


@deprecation.legacy(
    "stochastic_gradient_estimators.get_mean_baseline",
    "tfp.stats.assign_moving_mean_variance with tfp.stats.moving_mean_variance_zero_debiased",
)
def get_mean_baseline(ema_decay: float = 0.99, name: Optional[str] = None) -> Callable:
    """A baseline function returning a bias-corrected moving average of the mean loss.

    ```none
    r_t = mean(loss_t)                         (over ALL elements: a scalar)
    m_t = d * m_{t-1} + (1 - d) * r_t,   m_0 = 0
    b_t = m_t / (1 - d^t)                      (read after this step's update)
    ```

    State and updates depend on the regime: in `tf.compat.v1` graph mode each *call* of the
    returned function creates fresh non-trainable variables (run the variable initializer) and
    each evaluation of its result performs one update (legacy). In eager mode and inside
    `tf.function` the state is created once per returned function, on its first call, and every
    call performs one update; create the function outside `tf.function`.

    Args:
      ema_decay: the decay `d`, in [0, 1). Default 0.99.
      name: variable scope (graph mode) or name scope. Default 'MeanBaseline'.

    Returns:
      A callable `(stochastic_tensor, loss) -> baseline`, a scalar of the loss dtype; the
      stochastic tensor is ignored.

    Raises:
      TypeError, ValueError: `ema_decay` is not a number in [0, 1).
    """
    return _mean_baseline_fn(ema_decay, name)


def _log_sum_exp_leave_one_out(log_values: tf.Tensor) -> tf.Tensor:
    """`s_j = log sum_{i != j} exp(l_i)` along axis 0, same shape as the input."""
    n = tf.shape(log_values)[0]
    # [n(j), n(i), ...]: row j holds every l_i with l_j masked out.
    tiled = tf.broadcast_to(log_values[tf.newaxis], tf.concat([[n], tf.shape(log_values)], 0))
    mask = tf.reshape(
        tf.eye(n, dtype=tf.bool), tf.concat([[n, n], tf.ones_like(tf.shape(log_values)[1:])], 0)
    )
    mask = tf.broadcast_to(mask, tf.shape(tiled))
    masked = tf.where(mask, tf.constant(-np.inf, log_values.dtype), tiled)
    return tf.reduce_logsumexp(masked, axis=1)


def _log_add_exp(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    return tf.reduce_logsumexp(tf.stack([a, b]), axis=0)


@deprecation.legacy(
    "stochastic_gradient_estimators.get_vimco_advantage_fn",
    "tfp.vi.monte_carlo_variational_loss(..., gradient_estimator="
    "tfp.vi.GradientEstimators.VIMCO)",
)
def get_vimco_advantage_fn(have_log_loss: bool = False) -> Callable:
    """An advantage function for VIMCO's leave-one-out multi-sample baseline.

    For `n >= 2` samples along axis 0 of the loss (`l = log(loss)`, or `loss` itself when
    `have_log_loss`):

    ```none
    log_mean_j  = log( (1/n) sum_i exp(l_i) )
    g_j         = (sum_{i != j} l_i) / (n - 1)      (log of the leave-one-out geometric mean)
    s_j         = log sum_{i != j} exp(l_i)
    advantage_j = log_mean - ( logaddexp(s_j, g_j) - log n )
    ```

    i.e. the log of the `n`-sample mean minus the log of the mean in which sample `j` is replaced
    by the geometric mean of the others. Use it with `get_score_function_with_advantage`.

    Args:
      have_log_loss: whether the losses passed in are already logarithms. Default False (the
        losses must then be positive).

    Returns:
      A callable `(stochastic_tensor, loss, name=None) -> advantage` (same shape as `loss`;
      the stochastic tensor is ignored), which raises `ValueError` when the static size of
      axis 0 is below 2 (checked at run time when it is unknown) or a Python or NumPy loss is
      not positive (without `have_log_loss`), and `TypeError` for a non-floating loss.

    Raises:
      TypeError: `have_log_loss` is not a Python bool.

    #### References

    Mnih, A. and Rezende, D. J. Variational inference for Monte Carlo objectives. ICML, 2016.
    """
    checks.check_python_bool(have_log_loss, "have_log_loss")

    def vimco_advantage_fn(_, loss, name=None):
        values = None if have_log_loss or tf.is_tensor(loss) else checks.numpy_value(loss)
        # Departure: legacy took the log of a non-positive Python or NumPy loss: NaN.
        if values is not None and values.dtype.kind in "iuf" and np.any(values <= 0):
            raise ValueError(
                f"loss must be positive (its log is taken; pass have_log_loss=True for log "
                f"losses), got {loss!r}"
            )
        with tf.name_scope(name or "VIMCOAdvantage"):
            loss = _floating_loss(loss)
            if loss.shape.rank == 0:
                raise ValueError("VIMCO needs a loss with a sample axis 0 of size >= 2, got a scalar")
            static_n = tf.compat.dimension_value(loss.shape[0]) if loss.shape.rank else None
            if static_n is not None and static_n < 2:
                raise ValueError(
                    f"VIMCO needs at least 2 samples along axis 0 of the loss, got {static_n}"
                )
            assertions = []
            if static_n is None:
                assertions.append(
                    tf.debugging.assert_greater_equal(
                        tf.shape(loss)[0], 2, message="VIMCO needs at least 2 samples on axis 0"
                    )
                )
            with tf.control_dependencies(assertions):
                log_loss = tf.identity(loss) if have_log_loss else tf.math.log(loss)
            n = tf.cast(static_n if static_n is not None else tf.shape(loss)[0], loss.dtype)
            log_n = tf.math.log(n)
            log_mean = tf.reduce_logsumexp(log_loss, axis=0) - log_n
            geometric = (tf.reduce_sum(log_loss, axis=0) - log_loss) / (n - 1.0)
            # Departure: legacy computed s_j as logexpm1(lse_i(l_i - l_j)) + l_j, which overflows
            # (exp of a large difference) and adds a small fudge term; a masked logsumexp gives
            # the same quantity exactly and stably.
            others = _log_sum_exp_leave_one_out(log_loss)
            local = _log_add_exp(others, geometric) - log_n
            return log_mean - local

    return vimco_advantage_fn
