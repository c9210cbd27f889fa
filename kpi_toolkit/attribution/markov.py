"""Markov-chain attribution with removal effects, solved exactly as an absorbing chain.

The journeys are read as walks of a Markov chain of order ``k`` from a *start* state to one of two
absorbing states, *conversion* and *null*. A state is the last ``k`` channels touched (the first
touches of a path give the shorter states ``(c1)``, ``(c1, c2)``, ...), so order 1 is the usual
channel-to-channel chain. Transition probabilities are the maximum-likelihood estimates: transition
counts over all journeys divided by the count of departures from the state.

The probability of conversion from the start is obtained exactly from the fundamental matrix of the
absorbing chain (Kemeny & Snell 1960): with ``Q`` the transient-to-transient transition matrix and
``a`` the one-step probabilities of converting, the expected visits ``x`` from the start solve
``(I - Q)ᵀ x = e_start`` and ``P(conversion) = x · a``. The *removal effect* of a channel is the
relative drop in that probability when every state that contains the channel is removed (transitions
into it lead to *null*): ``RE(c) = 1 - P_without_c / P``. Conversions are shared in proportion to
removal effects (Anderl et al. 2016). Value is shared in proportion to the removal effects of the
expected conversion value, computed the same way with a reward on each converting transition equal to
the value of the conversions that left that state.

ChannelAttribution (Altomare & Loris) estimates the same quantities by simulating walks; its numbers
differ from the exact ones here by the simulation error (a few percent at its defaults).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.linalg import splu

from ..exceptions import ParameterError
from .heuristics import credit_frame
from .paths import PathTable

DENSE_MAX_STATES = 400
"""Up to this many states the systems are solved with dense LAPACK (batched); sparse LU beyond."""


class MarkovChain:
    """The state structure of an order-``k`` chain over a path table, reusable across reweightings.

    Building the structure (states, transitions and which path contributes to which transition) is
    done once; :meth:`removal_effects` then takes per-path weights, so a bootstrap replicate costs a
    sparse matrix-vector product and one linear solve per channel.

    Parameters
    ----------
    paths : PathTable
    order : int
        1 to 4.

    References
    ----------
    .. [1] Anderl E., Becker I., von Wangenheim F. & Schumann J. H. (2016). "Mapping the customer
       journey: Lessons learned from graph-based online attribution modeling." International Journal
       of Research in Marketing 33(3):457-474. doi:10.1016/j.ijresmar.2016.03.001
    .. [2] Kemeny J. G. & Snell J. L. (1960). Finite Markov Chains, ch. III (absorbing chains, the
       fundamental matrix N = (I - Q)^-1). Van Nostrand.
    """

    def __init__(self, paths: PathTable, *, order: int = 1) -> None:
        if not (isinstance(order, int | np.integer) and 1 <= order <= 4):
            raise ParameterError(f"attribution.markov_order must be 1, 2, 3 or 4 (got {order!r})")
        self.paths = paths
        self.order = int(order)
        n_ch = paths.n_channels
        base = np.int64(n_ch + 1)
        codes = paths.codes.astype(np.int64) + 1
        pos = paths.position_of_touch()
        key = codes.copy()
        for j in range(1, self.order):
            shifted = np.zeros_like(codes)
            shifted[j:] = codes[:-j]
            key = key + np.where(pos >= j, shifted, 0) * base ** j
        uniq, state = np.unique(key, return_inverse=True)
        state = state.astype(np.int64) + 1  # 0 is the start state
        self.n_states = len(uniq) + 1
        self.state_keys = uniq
        # which states contain which channel
        member_state, member_channel = [], []
        for j in range(self.order):
            digit = (uniq // base ** j) % base
            has = digit > 0
            member_state.append(np.flatnonzero(has) + 1)
            member_channel.append(digit[has] - 1)
        ms, mc = np.concatenate(member_state), np.concatenate(member_channel)
        self.contains = sparse.csr_matrix((np.ones(len(ms), bool), (mc, ms)), shape=(n_ch, self.n_states))
        # transitions between transient states: one per touch (from the previous state or start)
        src = np.empty_like(state)
        src[1:] = state[:-1]
        src[pos == 0] = 0
        S = self.n_states
        edge_key = src * S + state
        edges, edge_of_touch = np.unique(edge_key, return_inverse=True)
        self.edge_src = (edges // S).astype(np.int64)
        self.edge_dst = (edges % S).astype(np.int64)
        row = paths.row_of_touch()
        n = paths.n_paths
        self._edge_incidence = sparse.csr_matrix(
            (np.ones(len(state)), (edge_of_touch.ravel(), row)), shape=(len(edges), n))
        last_state = state[paths.offsets[1:] - 1] if n else np.zeros(0, np.int64)
        self._end_incidence = sparse.csr_matrix((np.ones(n), (last_state, np.arange(n))), shape=(S, n))
        self._channel_states = [self.contains[c].indices for c in range(n_ch)]

    def state_labels(self, *, sep: str = " > ") -> list[str]:
        """Readable names of the states (index 0 is ``(start)``)."""
        n_ch = self.paths.n_channels
        base = n_ch + 1
        labels = ["(start)"]
        for key in self.state_keys:
            digits = []
            k = int(key)
            while k:
                digits.append(k % base)
                k //= base
            labels.append(sep.join(self.paths.channels[d - 1] for d in reversed(digits)))
        return labels

    def _counts(self, conversions: np.ndarray, value: np.ndarray, nulls: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        journeys = conversions + nulls
        edge_count = self._edge_incidence @ journeys
        conv = self._end_incidence @ conversions
        val = self._end_incidence @ value
        null = self._end_incidence @ nulls
        out = np.bincount(self.edge_src, weights=edge_count, minlength=self.n_states) + conv + null
        return edge_count, conv, val, out

    def transition_probabilities(self, conversions: np.ndarray | None = None, value: np.ndarray | None = None,
                                 nulls: np.ndarray | None = None) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """``(Q, a_conversion, a_value)``: transient transition matrix and one-step absorption terms."""
        p = self.paths
        conversions = p.conversions if conversions is None else conversions
        value = p.value if value is None else value
        nulls = p.nulls if nulls is None else nulls
        edge_count, conv, val, out = self._counts(conversions, value, nulls)
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = np.where(out > 0, 1.0 / out, 0.0)
        Q = sparse.csr_matrix((edge_count * inv[self.edge_src], (self.edge_src, self.edge_dst)),
                              shape=(self.n_states, self.n_states))
        return Q, conv * inv, val * inv

    def removal_effects(self, conversions: np.ndarray | None = None, value: np.ndarray | None = None,
                        nulls: np.ndarray | None = None, *, method: str = "direct"
                        ) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Exact conversion probability, expected value per journey and removal effects.

        Parameters
        ----------
        conversions, value, nulls : ndarray, optional
            Per-path weights (default: the table's own; a bootstrap passes resampled ones).
        method : {"direct", "iterative"}
            ``direct``: LU factorisation (dense LAPACK up to :data:`DENSE_MAX_STATES` states, sparse
            SuperLU beyond). ``iterative``: for large chains, every channel's system at once by the
            Neumann series ``x = Σ_t (Qᵀ)^t e_start`` (expected visits of a walk of length t),
            iterated until the change is below 1e-13 relative (the series converges because every
            walk is absorbed); used for bootstrap replicates, falls back to ``direct`` when slow.

        Returns
        -------
        p_conversion : float
            Probability that a journey converts.
        value_per_journey : float
            Expected conversion value of a journey.
        removal_conversion, removal_value : ndarray
            Per channel: ``1 - P_without / P`` for the conversion probability and the expected value.
        """
        Q, a_conv, a_val = self.transition_probabilities(conversions, value, nulls)
        S = self.n_states
        n_ch = self.paths.n_channels
        rhs = np.stack([a_conv, a_val], axis=1)
        visits = self._visits_iterative(Q) if S > DENSE_MAX_STATES and method == "iterative" else None
        if visits is not None:
            results = visits.T @ rhs
        elif S <= DENSE_MAX_STATES:
            Qd = Q.toarray()
            M = np.broadcast_to(np.eye(S) - Qd.T, (n_ch + 1, S, S)).copy()
            for c, states in enumerate(self._channel_states):
                # removing the states of channel c: nothing flows into them (row r of (I - Q)ᵀ
                # holds the inflows of state r), so their expected visits are 0
                M[c + 1][states, :] = 0.0
                M[c + 1][states, states] = 1.0
            e0 = np.zeros((n_ch + 1, S, 1))
            e0[:, 0, 0] = 1.0
            results = np.linalg.solve(M, e0)[..., 0] @ rhs
        else:
            results = np.empty((n_ch + 1, 2))
            A = (sparse.identity(S, format="csc") - Q.T).tocsc()
            results[0] = self._solve_visits(A) @ rhs
            for c, states in enumerate(self._channel_states):
                keep = np.setdiff1d(np.arange(S), states, assume_unique=True)
                results[c + 1] = self._solve_visits(A[keep][:, keep]) @ rhs[keep]
        p, ev = results[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            re_conv = np.clip(1.0 - results[1:, 0] / p, 0.0, None) if p > 0 else np.zeros(n_ch)
            re_val = np.clip(1.0 - results[1:, 1] / ev, 0.0, None) if ev > 0 else np.zeros(n_ch)
        return float(p), float(ev), re_conv, re_val

    def _visits_iterative(self, Q: sparse.csr_matrix, *, tol: float = 1e-13, max_iter: int = 2000
                          ) -> np.ndarray | None:
        """Expected visits (states × (1 + channels)) for the full chain and each removal, or None."""
        S, n_ch = self.n_states, self.paths.n_channels
        keep = np.ones((S, n_ch + 1))
        for c, states in enumerate(self._channel_states):
            keep[states, c + 1] = 0.0
        QT = Q.T.tocsr()
        term = np.zeros((S, n_ch + 1))
        term[0] = 1.0
        x = term.copy()
        for _ in range(max_iter):
            term = keep * (QT @ term)
            x += term
            if np.abs(term).max() <= tol * np.abs(x).max():
                return x
        return None

    @staticmethod
    def _solve_visits(A: sparse.csc_matrix) -> np.ndarray:
        e0 = np.zeros(A.shape[0])
        e0[0] = 1.0  # the start state is index 0 and never removed
        return splu(A.tocsc()).solve(e0)

    def credits(self, conversions: np.ndarray | None = None, value: np.ndarray | None = None,
                nulls: np.ndarray | None = None, *, method: str = "direct"
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Attributed conversions, attributed value and removal effects per channel."""
        p = self.paths
        conversions = p.conversions if conversions is None else conversions
        value = p.value if value is None else value
        nulls = p.nulls if nulls is None else nulls
        _, _, re_c, re_v = self.removal_effects(conversions, value, nulls, method=method)
        total_c, total_v = float(conversions.sum()), float(value.sum())
        sc, sv = re_c.sum(), re_v.sum()
        conv = total_c * re_c / sc if sc > 0 else np.zeros_like(re_c)
        val = total_v * re_v / sv if sv > 0 else np.zeros_like(re_v)
        return conv, val, re_c


def markov(paths: PathTable, *, order: int = 1) -> pd.DataFrame:
    """Markov-chain attribution (removal effects, exact absorbing-chain solution).

    Parameters
    ----------
    paths : PathTable
    order : int
        Order of the chain, 1 to 4: how many past channels a state remembers.

    Returns
    -------
    DataFrame
        ``channel``, ``model`` (``"markov"``), ``conversions``, ``value``, ``removal_effect``. The
        conversions add up to the paths' total and the value to their total value.

    References
    ----------
    .. [1] Anderl E., Becker I., von Wangenheim F. & Schumann J. H. (2016). "Mapping the customer
       journey: Lessons learned from graph-based online attribution modeling." International Journal
       of Research in Marketing 33(3):457-474.
    .. [2] Kemeny J. G. & Snell J. L. (1960). Finite Markov Chains. Van Nostrand.
    """
    chain = MarkovChain(paths, order=order)
    conv, val, re = chain.credits()
    out = credit_frame(paths.channels, "markov", conv, val)
    out["removal_effect"] = re
    return out


def transition_table(paths: PathTable, *, order: int = 1) -> pd.DataFrame:
    """The estimated transition probabilities as a tidy frame ``from``, ``to``, ``probability``.

    ``to`` includes the absorbing states ``(conversion)`` and ``(null)``.
    """
    chain = MarkovChain(paths, order=order)
    Q, a_conv, _ = chain.transition_probabilities()
    labels = np.asarray(chain.state_labels(), dtype=object)
    coo = Q.tocoo()
    _, conv, _, out = chain._counts(paths.conversions, paths.value, paths.nulls)
    null = np.where(out > 0, 1.0 - np.asarray(Q.sum(axis=1)).ravel() - a_conv, 0.0)
    frm = np.concatenate([labels[coo.row], labels, labels])
    to = np.concatenate([labels[coo.col], np.full(len(labels), "(conversion)", dtype=object),
                         np.full(len(labels), "(null)", dtype=object)])
    prob = np.concatenate([coo.data, a_conv, null])
    df = pd.DataFrame({"from": pd.array(frm, dtype="string"), "to": pd.array(to, dtype="string"),
                       "probability": prob})
    df = df[df["probability"] > 1e-15].sort_values(["from", "probability"], ascending=[True, False])
    return df.reset_index(drop=True)
