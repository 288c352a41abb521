/** The app manifest people install from must match what the adapter listens for. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COMMAND_NAMES } from '../../../src/platforms/slack/commands.js';
import { SHORTCUT_CALLBACK_IDS } from '../../../src/platforms/slack/shortcut-modal.js';

const manifest = readFileSync(new URL('../../../commands/slack-manifest.yaml', import.meta.url), 'utf8');

describe('commands/slack-manifest.yaml', () => {
  it('declares exactly the slash commands the adapter registers', () => {
    const declared = [...manifest.matchAll(/- command: (\/\S+)/g)].map((m) => m[1]).sort();
    expect(declared).toEqual(Object.values(DEFAULT_COMMAND_NAMES).sort());
  });

  it('declares exactly the message shortcuts the adapter handles', () => {
    const declared = [
      ...manifest.matchAll(
        /- name: [^\n]+\n\s+type: (\w+)\n\s+callback_id: (\w+)\n\s+description: ([^\n]+)/g,
      ),
    ];
    expect(declared.map((m) => m[2]).sort()).toEqual([...SHORTCUT_CALLBACK_IDS].sort());
    for (const [, type, , description] of declared) {
      expect(type).toBe('message');
      // Slack: a shortcut description holds at most 80 characters.
      expect(description!.length).toBeLessThanOrEqual(80);
    }
  });

  it('asks for the scopes and events the adapter needs', () => {
    for (const scope of [
      'app_mentions:read',
      'chat:write',
      'im:history',
      'channels:history',
      'groups:history',
      'files:read',
      'commands',
      'assistant:write',
      'users:read',
    ]) {
      expect(manifest).toMatch(new RegExp(`- ${scope}\\b`));
    }
    for (const event of [
      'app_mention',
      'message.im',
      'message.channels',
      'message.groups',
      'assistant_thread_started',
    ]) {
      expect(manifest).toMatch(new RegExp(`- ${event}\\s`));
    }
    expect(manifest).toMatch(/interactivity:\s+is_enabled: true/);
  });
});
