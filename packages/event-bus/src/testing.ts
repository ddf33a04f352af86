export { engineContract, type EngineContractOptions } from './engine-contract.js';
export { sampleEvents, samplePending, SAMPLE_TS } from './sample-events.js';
