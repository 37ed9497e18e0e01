/**
 * Names of the journal's C2SP checkpoints (docs/decisions/0106-journal-c2sp-checkpoints.md):
 * one origin per chain, `<host>/journal/<chain>`, all signed by the journal's
 * note key named `<host>/journal`. The host is that of PUBLIC_URL (with its
 * port when it has one), without scheme, as C2SP origins are written.
 */
export function journalNoteKeyName(publicUrl: string): string {
  return `${new URL(publicUrl).host}/journal`;
}

export function journalOrigin(publicUrl: string, chain: string): string {
  return `${journalNoteKeyName(publicUrl)}/${chain}`;
}
