import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiProblem } from "@syncengine/sync";
import { useSyncClient } from "@syncengine/sync/react";

/** Opened from a join link: redeems the invite (in the fragment, never sent to a server log) with this device's id. */
export function JoinPage() {
  const { workspaceId = "" } = useParams();
  const client = useSyncClient();
  const navigate = useNavigate();
  const [error, setError] = useState<string>();
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const link = client.parseJoinLink(window.location.href);
    if (!link || link.workspaceId !== workspaceId.toLowerCase()) {
      setError("This join link is incomplete: it needs the invite code after the #.");
      return;
    }
    client.join(link.workspaceId, link.inviteCode).then(
      () => navigate(`/w/${link.workspaceId}`, { replace: true }),
      (e: unknown) => setError(e instanceof ApiProblem && e.code === "invite-invalid"
        ? `${e.message} Invites work once, for the device they name.`
        : e instanceof Error ? e.message : String(e)),
    );
  }, [client, navigate, workspaceId]);

  return (
    <section>
      <h2>Join a journal</h2>
      <p>This device: <code data-testid="client-id">{client.clientId}</code></p>
      {error ? <p className="error" role="alert" data-testid="join-error">{error}</p> : <p className="muted">Joining…</p>}
      <p><Link to="/">Your journals</Link></p>
    </section>
  );
}
