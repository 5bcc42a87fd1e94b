"""Scaling laws of proving cost in circuit rows, with calibrated 95% intervals.

One job per module: :mod:`~chasm.laws.rules` (quantities, sizes, thresholds), :mod:`~chasm.laws.selection`
(which runs, and their observations), :mod:`~chasm.laws.candidates` (the candidate laws),
:mod:`~chasm.laws.estimation` (fitting one law, intervals), :mod:`~chasm.laws.choice` (cross-validation
and model choice), :mod:`~chasm.laws.checks` (held-out check, crossings), :mod:`~chasm.laws.coverage`
(coverage on simulated sweeps) and :mod:`~chasm.laws.predict` (``python -m chasm predict``). Nothing
here imports torch or a prover.

Which runs are used
-------------------
:func:`~chasm.laws.selection.select_runs` keeps the runs of the main sweeps only: ``status == 'ok'``
with ``verified`` True (:func:`chasm.core.runs.verified_ok`; a proof that did not verify feeds no law),
``sweep_profile`` in :data:`~chasm.laws.selection.FIT_PROFILES`, ``calibration_target ==``
:data:`~chasm.laws.selection.CALIBRATION_TARGET`, and input and parameter scales equal to the family's
default (:data:`chasm.core.constants.FAMILY_SCALES`); the calibration profile is a
separate side experiment. It keeps one machine (``hardware_tag``). Time
quantities (every column ending in ``_s``) of runs whose machine was busy with
other processes, ``other_cpu_frac >`` :data:`chasm.core.constants.CONTENTION_LIMIT`, are set to
missing (those timings were slowed by contention); memory and byte sizes of
those runs are kept. :func:`~chasm.laws.selection.exclusion_table` counts what was left out and why.

What is fitted
--------------
For one model family on one machine, each *configuration* ``c`` (one
``config_id`` at one ``calibration_target``) is a circuit of ``N_c =
2**logrows`` rows (the evaluation domain the prover works on; the laws can also
be fitted against ``num_rows``, the rows the layout uses, or ``params``, the
model's parameters), measured in ``R_c`` repetitions ``r``. A quantity ``y``
(seconds or bytes, see :data:`~chasm.laws.rules.QUANTITIES`) is modelled in log space as a
random-effects model::

    log y_cr = log f(N_c; theta) + u_c + e_cr,
    u_c ~ Normal(0, sigma_config^2)   (circuits differ in columns, lookups..., and the
                                       law may not fit every size: lack of fit)
    e_cr ~ Normal(0, sigma_rep^2)     (repetition noise of one machine)

``f`` is one of the :data:`~chasm.laws.candidates.CANDIDATES`: a power law ``a N^b``, ``a N log2 N + b N``,
an affine ``c0 + c1 N``, a first-principles prover form
``c0 + c1 N log2 N + c2 N / log2 N`` (FFT-like plus MSM-like terms), and the cost
model's own form ``c0 + c1 W(N)`` with ``W`` the prover work of
:func:`chasm.costmodel.prover.prover_work` (offered when that module is installed); all
but the power law are sums of nonnegative basis functions with nonnegative
coefficients.

Against ``params`` and ``num_rows`` only configurations above the logrows floor
are used (``at_floor`` in :func:`~chasm.laws.selection.select_runs`): a configuration is at the floor
when its logrows is its family's smallest and its layout uses at most half of
the ``2**logrows`` rows (``num_rows <= 2**(logrows - 1)``), i.e. its domain was
set by ezkl's fixed-size range-check table, not by the network, so its rows and
times do not respond to the parameters.

Estimation and intervals (method)
---------------------------------
``theta`` is fitted by least squares of the configuration means
``ybar_c = mean_r log y_cr`` on ``log f(N_c; theta)``; this weights every
configuration once, however many repetitions it has. The pooled
within-configuration variance ``sigma_rep^2`` (``sum(R_c - 1)`` degrees of
freedom) estimates the repetition noise. The *scatter variance* ``s2``, which
estimates ``sigma_config^2 + sigma_rep^2 / R`` including the law's lack of fit, is
estimated from the residuals of the configuration means, in this order
(:func:`~chasm.laws.estimation.scatter_variance`, ``C`` configurations, ``S`` distinct sizes, ``p``
parameters):

1. the residual variance ``RSS / (C - p)``; but configurations of one size share
   any lack of fit of the law, so when the *lack-of-fit mean square*
   ``sum_s m_s rbar_s^2 / (S - p)`` (``rbar_s`` the mean residual of the ``m_s``
   configurations of size ``s``) is significantly larger than the *pure error*
   (the scatter of configurations around their size's mean residual; F-test at
   level 5%, or whenever that scatter is 0), the lack-of-fit mean square is used,
   with ``S - p`` degrees of freedom. This matters for deterministic quantities
   (key sizes): circuits of one size can be identical, so the residuals within a
   size are 0 and only the sizes carry information.
2. When ``S - p <`` :data:`~chasm.laws.rules.MIN_LACK_OF_FIT_DF` the residuals show a lack of fit
   poorly or not at all (e.g. four sizes for a two-parameter law), and the
   leave-one-size-out cross-validation error is used if larger: the law is
   refitted without each size and predicts it, and ``s2_cv`` is the mean squared
   error of the left-out configuration means (:func:`~chasm.laws.estimation.leave_one_size_out_mse`),
   with ``min(C - p, S - 1)`` degrees of freedom. It holds the error a law
   makes on a size it has not seen, including curvature that in-sample
   residuals hide; since it also holds the refits' parameter error, which the
   prediction interval adds again, this is conservative.

* Parameter confidence intervals: ``theta_hat +- t(df) * se`` with
  ``Cov(theta_hat) = s2 (J'J)^-1`` (``J`` the Jacobian of ``log f`` at the
  means). For the power law with one configuration per size this is ordinary
  least squares on the means and the t-interval is exact when repetitions are
  balanced; for the other forms it is the usual linearised (Wald) interval,
  truncated at 0 for coefficients that are constrained nonnegative.
  Coefficients that the fit puts on their bound 0 are held there for
  predictions (``Cov`` covers only the free coefficients).
* 95% prediction interval for one new run of a new configuration of ``N`` rows:
  ``log f(N) +- t(nu) * sqrt(g' Cov g + s2 + sigma_rep^2 (1 - mean(1/R_c)))``,
  i.e. parameter uncertainty, plus between-configuration scatter and lack of
  fit, plus repetition noise (``s2`` already holds ``sigma_rep^2/R``; the last
  term adds the rest). ``nu`` is the Welch-Satterthwaite degrees of freedom of
  that sum of two independent variance estimates. :func:`~chasm.laws.coverage.coverage_study`
  checks the coverage on simulated sweeps (:data:`~chasm.laws.coverage.COVERAGE_SCENARIOS`).

Model choice is by leave-one-size-out cross-validation (:func:`~chasm.laws.choice.cross_validate`):
all configurations of one size are left out together, the law is refitted
on the rest and scored on the left-out configuration means (RMSE in natural log
units); every candidate is reported and the lowest CV error is chosen.
"""
