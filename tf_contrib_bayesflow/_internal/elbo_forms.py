"""`ELBOForms`: the opaque constants that choose how a variational bound is estimated.

Shared by `entropy` and `variational_inference`, which must export the very same object.
"""
from typing import Any


class _ELBOForm:
    """One `ELBOForms` constant: no value, no ordering; compared by identity."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return f"ELBOForms.{self._name}"

    # Identity is the whole meaning of a constant, so copies and unpickled copies are the
    # constant itself.
    def __copy__(self) -> "_ELBOForm":
        return self

    def __deepcopy__(self, memo: dict) -> "_ELBOForm":
        return self

    def __reduce__(self) -> str:
        return f"ELBOForms.{self._name}"


class ELBOForms:
    """Constants naming how an ELBO term is computed; pass one as `form=`.

    - `analytic_kl`: the closed-form `KL(q || p)` (only `variational_inference.elbo`).
    - `analytic_entropy`: the closed-form entropy `H[q]` plus a sampled prior term.
    - `sample`: `-log q(z)` at the sample plus a sampled prior term.
    - `default`: the first of the above that the distributions support, in that order.
    """

    default = _ELBOForm("default")
    analytic_kl = _ELBOForm("analytic_kl")
    analytic_entropy = _ELBOForm("analytic_entropy")
    sample = _ELBOForm("sample")

    @staticmethod
    def check_form(form: Any) -> None:
        """Raises `TypeError` unless `form` is one of the four constants."""
        if not any(form is constant for constant in _ALL_FORMS):
            raise TypeError("form must be an ELBOForms constant")


_ALL_FORMS = (
    ELBOForms.default,
    ELBOForms.analytic_kl,
    ELBOForms.analytic_entropy,
    ELBOForms.sample,
)
