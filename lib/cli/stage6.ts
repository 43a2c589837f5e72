// The stage gate of stage 6's verbs (pull, push, tag, save, load): they need stage 6 (images).

import { EngineError } from '../errors.js';
import { currentStage } from '../stage.js';

export function requireImagesStage(verb: string): void {
  const stage = currentStage();
  if (stage < 6) throw new EngineError(`${verb} needs stage 6 (images); this engine runs at stage ${stage}`);
}
