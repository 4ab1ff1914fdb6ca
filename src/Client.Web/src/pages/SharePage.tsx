import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import type { Invitation, Scope, TokenSummary } from "@syncengine/sync";
import { useSyncClient, useWorkspace } from "@syncengine/sync/react";

const expiries: { label: string; seconds?: number }[] = [
  { label: "never" },
  { label: "1 hour", seconds: 3600 },
  { label: "1 day", seconds: 86_400 },
  { label: "7 days", seconds: 604_800 },
];

export function SharePage() {
  const { workspaceId = "" } = useParams();
  const client = useSyncClient();
  const workspace = useWorkspace(workspaceId);
  const [tokens, setTokens] = useState<TokenSummary[]>();
  const [guest, setGuest] = useState("");
  const [scope, setScope] = useState<Scope>("read_write");
  const [expiry, setExpiry] = useState(0);
  const [invitation, setInvitation] = useState<Invitation>();
  const [error, setError] = useState<string>();

  const refresh = useCallback(async () => {
    try {
      setTokens(await client.tokens(workspaceId));
      setError(undefined);
    } catch (e) {
      setError(message(e));
    }
  }, [client, workspaceId]);

  const synced = Boolean(workspace?.token);
  useEffect(() => {
    if (synced) void refresh();
  }, [synced, refresh]);

  async function invite(event: FormEvent) {
    event.preventDefault();
    try {
      setInvitation(await client.invite(workspaceId, guest.trim(), scope, expiries[expiry]?.seconds));
      setGuest("");
      setError(undefined);
      await refresh();
    } catch (e) {
      setError(message(e));
    }
  }

  async function revoke(clientId: string) {
    try {
      await client.revoke(workspaceId, clientId);
      await refresh();
    } catch (e) {
      setError(message(e));
    }
  }

  if (workspace === undefined) return null;
  return (
    <section>
      <p><Link to={`/w/${workspaceId}`}>← {workspace?.label ?? "Journal"}</Link></p>
      <h2>Share</h2>
      <p>This device: <code data-testid="client-id">{client.clientId}</code></p>
      {!synced && <p className="muted">Sharing works once this journal has reached the server.</p>}
      <form onSubmit={invite} className="stack">
        <label>Device to invite (its client id, shown on its home page)
          <input value={guest} onChange={(e) => setGuest(e.target.value)} placeholder="00000000-0000-0000-0000-000000000000" data-testid="invite-client-id" required />
        </label>
        <div className="row">
          <label>Access
            <select value={scope} onChange={(e) => setScope(e.target.value as Scope)} data-testid="invite-scope">
              <option value="read_write">read and write</option>
              <option value="read">read only</option>
            </select>
          </label>
          <label>Expires
            <select value={expiry} onChange={(e) => setExpiry(Number(e.target.value))} data-testid="invite-expiry">
              {expiries.map((x, i) => <option key={x.label} value={i}>{x.label}</option>)}
            </select>
          </label>
          <button type="submit" disabled={!synced} data-testid="create-invite">Create invite link</button>
        </div>
      </form>
      {invitation && (
        <div className="invite">
          <p>Send this link to that device; it works once, for that device only, until {new Date(invitation.grant.inviteExpiresAt).toLocaleString()}.</p>
          <div className="row">
            <input readOnly value={invitation.link} data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={() => void navigator.clipboard?.writeText(invitation.link)}>Copy</button>
          </div>
        </div>
      )}
      {error && <p className="error" role="alert" data-testid="share-error">{error}</p>}
      <h3>Who has access</h3>
      <table data-testid="tokens">
        <thead><tr><th>Device</th><th>Access</th><th>Status</th><th>Expires</th><th /></tr></thead>
        <tbody>
          {tokens?.map((t) => (
            <tr key={t.tokenId} data-testid="token" data-client-id={t.clientId} data-status={t.status}>
              <td><code>{t.clientId}</code>{t.clientId === client.clientId && " (this device)"}</td>
              <td>{t.isMaster ? "owner" : t.scope === "read" ? "read only" : "read and write"}</td>
              <td>{t.status}</td>
              <td>{t.expiresAt ? new Date(t.expiresAt).toLocaleString() : "never"}</td>
              <td>{!t.isMaster && !t.revokedAt && (
                <button type="button" className="danger" onClick={() => void revoke(t.clientId)} data-testid="revoke">Revoke</button>
              )}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
