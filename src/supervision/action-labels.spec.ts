import { describe, expect, it } from '@jest/globals';
import { ACTION_LABELS, actionLabel } from '../web/french/index.js';
import { DESCRIBED_ACTIONS } from './describe-entry.js';

describe('action labels', () => {
  it('names every action the journal may hold, and only those', () => {
    expect(Object.keys(ACTION_LABELS).sort()).toEqual([...DESCRIBED_ACTIONS].sort());
  });

  it('gives each action its own label, in French words, no code', () => {
    const labels = Object.values(ACTION_LABELS);
    expect(new Set(labels).size).toBe(labels.length);
    for (const label of labels) expect(label).not.toMatch(/[._]|\(e\)/);
  });

  it('calls an unknown code "Autre action"', () => {
    expect(actionLabel('teleportation.started')).toBe('Autre action');
    expect(actionLabel('toString')).toBe('Autre action');
  });
});
