"""frg: functional renormalization group flows in JAX, and their deep-learning twins.

Public API (re-exported from private modules, diffrax-style):

- regulators: :class:`AbstractRegulator`, :class:`Litim`, :class:`Wetterich`,
  :class:`PowerLaw`, :class:`Mass`, :class:`CustomShape`, :func:`make_regulator`
- threshold functions: :class:`ThresholdRule`, :func:`threshold_rule`,
  :func:`threshold`, :func:`litim_threshold`, :func:`v_d`
- float64 policy: :func:`x64`, :func:`x64_enabled` (see ``frg/_x64.py``); random
  numbers: the samplers and trainers draw with the non-partitionable threefry, scoped
  (``frg/_rng.py``)
- ML ↔ RG: Ising samplers (:func:`metropolis` with ``algorithm='packed'``,
  :func:`swendsen_wang`, :func:`wolff`), :func:`mehta_schwab`,
  :func:`block_size_vs_temperature`, :func:`pca_rg_flow`, :func:`vrg_analysis`
- fixed points and exponents: :func:`critical_exponents`, :func:`exponents_table`,
  :func:`pms` with the truncations :class:`LPA`, :class:`LPAPrime`, :class:`Taylor`,
  :class:`DE2` (O(∂²), see ``docs/de2.md``), :class:`DE4` (O(∂⁴), Ising, see
  ``docs/de4.md``) of :class:`AbstractTruncation`
"""

__version__ = "0.1.0"

from ._cascade.compare import (
    CascadeComparison as CascadeComparison,
    cascade_readout as cascade_readout,
    cascade_scales as cascade_scales,
    compare_cascade as compare_cascade,
    layer_kernel_widths as layer_kernel_widths,
    plot_cascade as plot_cascade,
)
from ._cascade.crbm import (
    ConvRBM as ConvRBM,
    ancestral_sample as ancestral_sample,
    gibbs_sample as gibbs_sample,
    kernel_width as kernel_width,
    rbm_layer as rbm_layer,
    rbm_stack as rbm_stack,
    spectrum_chi2 as spectrum_chi2,
    train_layer as train_layer,
)
from ._cascade.lattice import (
    BackgroundGrid as BackgroundGrid,
    LatticeLPASolution as LatticeLPASolution,
    LatticeMomenta as LatticeMomenta,
    background_grid as background_grid,
    lattice_lpa as lattice_lpa,
    lattice_momenta as lattice_momenta,
    lattice_p2 as lattice_p2,
    lattice_threshold as lattice_threshold,
)
from ._cascade.layers import (
    LAYER_TYPES as LAYER_TYPES,
    CDBNResult as CDBNResult,
    cdbn_potential as cdbn_potential,
    layer_delta_u as layer_delta_u,
    one_loop_potential as one_loop_potential,
    scale_schedule as scale_schedule,
)
from ._cascade.learn import (
    COUPLINGS as COUPLINGS,
    ActionFit as ActionFit,
    MeanFieldHistogram as MeanFieldHistogram,
    constraint_potential as constraint_potential,
    fit_action as fit_action,
    mean_field_histogram as mean_field_histogram,
    phi4_samples as phi4_samples,
    tree_level_fit as tree_level_fit,
)
from ._fixed_point.de2 import (
    DE2 as DE2,
)
from ._fixed_point.de4 import (
    DE4 as DE4,
)
from ._fixed_point.engine import (
    PMS as PMS,
    TRUNCATIONS as TRUNCATIONS,
    Exponents as Exponents,
    FixedPoint as FixedPoint,
    check_exponents_inputs as check_exponents_inputs,
    critical_exponents as critical_exponents,
    exponents_table as exponents_table,
    find_fixed_point as find_fixed_point,
    make_truncation as make_truncation,
    plot_nu_vs_d as plot_nu_vs_d,
    pms as pms,
    stability_matrix as stability_matrix,
)
from ._fixed_point.taylor import (
    Taylor as Taylor,
)
from ._fixed_point.truncations import (
    LPA as LPA,
    AbstractTruncation as AbstractTruncation,
    LPAPrime as LPAPrime,
    by_grid_degree as by_grid_degree,
    grid_degree as grid_degree,
    with_grid_degree as with_grid_degree,
)
from ._flow.lpa import (
    FlowSolution as FlowSolution,
    RhoPotential as RhoPotential,
    lpa_rhs_dimensionless as lpa_rhs_dimensionless,
    solve_flow as solve_flow,
    threshold_rule_eta as threshold_rule_eta,
)
from ._flow.phase import (
    PhaseBoundary as PhaseBoundary,
    critical_kappa as critical_kappa,
    plot_phase_boundary as plot_phase_boundary,
)
from ._flow.regulators import (
    REGULATORS as REGULATORS,
    AbstractRegulator as AbstractRegulator,
    CustomShape as CustomShape,
    Exponential as Exponential,
    Litim as Litim,
    Mass as Mass,
    PowerLaw as PowerLaw,
    ThresholdClosedForm as ThresholdClosedForm,
    Wetterich as Wetterich,
    make_regulator as make_regulator,
)
from ._flow.scaling import (
    FlowRules as FlowRules,
    eta_lpa_prime as eta_lpa_prime,
    flow_rules as flow_rules,
    lpa_beta as lpa_beta,
    lpa_flow as lpa_flow,
    m22 as m22,
)
from ._flow.solvers import (
    SOLVERS as SOLVERS,
    Kvaerno3 as Kvaerno3,
    Kvaerno5 as Kvaerno5,
    Rodas4 as Rodas4,
    Rodas5P as Rodas5P,
    TridiagonalNewton as TridiagonalNewton,
    make_solver as make_solver,
)
from ._flow.threshold import (
    MomentumRule as MomentumRule,
    ThresholdRule as ThresholdRule,
    eta_rule as eta_rule,
    litim_threshold as litim_threshold,
    momentum_rule as momentum_rule,
    threshold as threshold,
    threshold_rule as threshold_rule,
    v_d as v_d,
)
from ._flow.zero_d import (
    PhiPotential as PhiPotential,
    ZeroDResult as ZeroDResult,
    solve_zero_d as solve_zero_d,
)
from ._io import (
    Results as Results,
    check_output_dir as check_output_dir,
    check_output_file as check_output_file,
    jsonable as jsonable,
    load as load,
    save_results as save_results,
)

# ML ↔ RG: Ising samplers and exact results, RBM/DBN training, receptive fields,
# exact variational RG, PCA coarse-graining, lattice φ⁴ HMC (docs/ml_rg.md).
from ._ml.dbn_rg import (
    BLOCK_VERDICTS as BLOCK_VERDICTS,
    DBNResult as DBNResult,
    block_size_verdict as block_size_verdict,
    block_size_vs_temperature as block_size_vs_temperature,
    cdbn_experiment as cdbn_experiment,
    mehta_schwab as mehta_schwab,
)
from ._ml.ising import (
    METROPOLIS_KERNELS as METROPOLIS_KERNELS,
    SAMPLE_ALGORITHMS as SAMPLE_ALGORITHMS,
    T_C as T_C,
    IsingRun as IsingRun,
    correlation_length as correlation_length,
    enumerate_exact as enumerate_exact,
    exact_energy as exact_energy,
    integrated_autocorr_time as integrated_autocorr_time,
    kaufman_log_z as kaufman_log_z,
    metropolis as metropolis,
    onsager_energy as onsager_energy,
    onsager_magnetization as onsager_magnetization,
    sample_configs as sample_configs,
    swendsen_wang as swendsen_wang,
    wolff as wolff,
)
from ._ml.pca_rg import (
    PCAFlow as PCAFlow,
    fourier_concentration as fourier_concentration,
    gaussian_field as gaussian_field,
    pca_modes as pca_modes,
    pca_rg_flow as pca_rg_flow,
)
from ._ml.phi4 import (
    Phi4Run as Phi4Run,
    hmc as phi4_hmc,  # noqa: F401
)
from ._ml.rbm import (
    ConvRBMParams as ConvRBMParams,
    RBMParams as RBMParams,
    cd_gradient as cd_gradient,
    exact_nll_gradient as exact_nll_gradient,
    train_cdbn as train_cdbn,
    train_conv_rbm as train_conv_rbm,
    train_dbn as train_dbn,
    train_rbm as train_rbm,
)
from ._ml.receptive import (
    conv_receptive_fields as conv_receptive_fields,
    dense_receptive_fields as dense_receptive_fields,
    receptive_radius as receptive_radius,
)
from ._ml.vrg import (
    VRGResult as VRGResult,
    chain_energy as chain_energy,
    decimation_K as decimation_K,
    decimation_rbm as decimation_rbm,
    fit_rbm_exact as fit_rbm_exact,
    ising2d_energy as ising2d_energy,
    nn_coupling as nn_coupling,
    vrg_analysis as vrg_analysis,
    vrg_hidden_hamiltonian as vrg_hidden_hamiltonian,
    walsh_couplings as walsh_couplings,
)
from ._plots import (
    plot_flow as plot_flow,
)
from ._results import (
    RESULTS as RESULTS,
    result_message as result_message,
    result_name as result_name,
)
from ._sweep._processes import (
    SweepAborted as SweepAborted,
    finish_processes as finish_processes,
    init_processes as init_processes,
)
from ._sweep.sweep import (
    CheckpointError as CheckpointError,
    SweepResult as SweepResult,
    param_grid as param_grid,
    parse_param_spec as parse_param_spec,
    sweep as sweep,
)
from ._x64 import (
    x64 as x64,
    x64_enabled as x64_enabled,
)
