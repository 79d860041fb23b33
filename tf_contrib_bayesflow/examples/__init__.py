"""Runnable example programs; `python -m tf_contrib_bayesflow` runs them as the demo."""
