// The workflows entry of the benchmark worker (bench/scale.ts --compare): the package's workflows and the bare-loop
// baseline in one bundle, so both phases of a comparison run the same bundle with the same preloaded modules.
export { trackAirOpsBatch, runAirOpsBatch } from '../../workflows';
export { bareLoopAirOpsBatch } from './bare-loop';
