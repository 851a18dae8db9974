/**
 * Circuit cutting (wire cuts): plan where to cut a circuit so that every fragment fits a width,
 * run the fragments' sub-experiments on the statevector simulator, and recombine the distribution
 * of the measured bits. Method, limits and cost: docs/cutting.md.
 */
export {
  planCuts,
  summarize,
  CutError,
  MAX_CUT_SUBEXPERIMENTS,
  MAX_RECOMBINATION_WORK,
  MAX_CUT_MEASURED_QUBITS,
} from './plan';
export type { CutPlan, CutSummary, CutErrorReason, Fragment, WireCut, PlanOptions } from './plan';
export { fragmentVariants, variantCircuit, exactDistribution, runFragments, recombine } from './recombine';
export type { Variant, FragmentResults, Recombined, RunFragmentsOptions } from './recombine';
export { cutDistribution, simulateCut, planForJob, observableCircuit } from './cut';
export type { CutOptions, CutMeta, CutDistribution } from './cut';
