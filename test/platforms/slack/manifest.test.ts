/** The app manifest people install from must match what the adapter listens for. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COMMAND_NAMES } from '../../../src/platforms/slack/commands.js';
import { AGENT_APP_EVENTS, ASSISTANT_APP_EVENTS } from '../../../src/platforms/slack/events.js';
import { SHORTCUT_CALLBACK_IDS } from '../../../src/platforms/slack/shortcut-modal.js';

const manifest = readFileSync(new URL('../../../commands/slack-manifest.yaml', import.meta.url), 'utf8');
/** The manifest without its comments, so a commented-out line does not count. */
const declared = manifest.replace(/#.*$/gm, '');

/** The lines indented under `key:` (up to the next line indented as little or less). */
function section(key: string): string {
  const start = declared.search(new RegExp(`^( *)${key}:`, 'm'));
  expect(start, `${key} is declared`).toBeGreaterThanOrEqual(0);
  const lines = declared.slice(start).split('\n');
  const indent = /^ */.exec(lines[0]!)![0].length;
  const body = lines.slice(1);
  const end = body.findIndex((line) => line.trim() !== '' && /^ */.exec(line)![0].length <= indent);
  return body.slice(0, end === -1 ? undefined : end).join('\n');
}

describe('commands/slack-manifest.yaml', () => {
  it('declares exactly the slash commands the adapter registers', () => {
    const commands = [...declared.matchAll(/- command: (\/\S+)/g)].map((m) => m[1]).sort();
    expect(commands).toEqual(Object.values(DEFAULT_COMMAND_NAMES).sort());
  });

  it('declares exactly the message shortcuts the adapter handles', () => {
    const shortcuts = [
      ...declared.matchAll(
        /- name: [^\n]+\n\s+type: (\w+)\n\s+callback_id: (\w+)\n\s+description: ([^\n]+)/g,
      ),
    ];
    expect(shortcuts.map((m) => m[2]).sort()).toEqual([...SHORTCUT_CALLBACK_IDS].sort());
    for (const [, type, , description] of shortcuts) {
      expect(type).toBe('message');
      // Slack: a shortcut description holds at most 80 characters.
      expect(description!.length).toBeLessThanOrEqual(80);
    }
  });

  it('asks for exactly the scopes the adapter needs', () => {
    const scopes = [...section('bot').matchAll(/- (\S+)/g)].map((m) => m[1]).sort();
    expect(scopes).toEqual(
      [
        'app_mentions:read',
        'chat:write',
        'im:history',
        'channels:history',
        'groups:history',
        'files:read',
        'commands',
        'assistant:write',
        'users:read',
        // conversations.members: /gemini-summarize from the DM checks the user is in the channel.
        'channels:read',
        'groups:read',
      ].sort(),
    );
    expect(declared).toMatch(/interactivity:\s+is_enabled: true/);
  });

  it('is an agent app (agent_view with a description and suggested prompts), not an assistant_view one', () => {
    expect(declared).not.toMatch(/assistant_view:/);
    const agent = section('agent_view');
    expect(agent).toMatch(/agent_description: \S/);
    expect(agent).toMatch(/suggested_prompts:\s*\n\s+- title: \S/);
    expect(section('app_home')).toMatch(/home_tab_enabled: true/);
    expect(section('app_home')).toMatch(/messages_tab_enabled: true/);
  });

  it('subscribes to every agent event the adapter handles, and to no assistant_view-only event', () => {
    const events = [...section('bot_events').matchAll(/- (\S+)/g)].map((m) => m[1]).sort();
    expect(events).toEqual([...AGENT_APP_EVENTS].sort());
    for (const legacy of ASSISTANT_APP_EVENTS) expect(events).not.toContain(legacy);
  });
});
