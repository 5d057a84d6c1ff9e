import { describe, expect, it } from 'vitest';
import * as entry from '../../src/signaling/index.js';

describe('the signaling entry point', () => {
  it('lists what users need by name, and no internals', () => {
    expect(Object.keys(entry).sort()).toEqual(['DEFAULT_CHANNEL', 'DEFAULT_TOPIC_BASE', 'PeerConnection', 'PeerSignaling', 'SignalingError', 'signalingTopics']);
  });
});
