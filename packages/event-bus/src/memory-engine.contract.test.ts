import { engineContract } from '@ns/event-bus/testing';
import { MemoryEngine } from './memory-engine.js';

engineContract('MemoryEngine', (options) => new MemoryEngine(options));
