/**
 * `?transport=http` keeps this tab (for its session, like a pinned schema version) on HTTP and event streams instead of
 * the realtime channel: the browser tests run every journey on both. Each app keeps its own choice.
 */
export function chosenTransport(app: string): "socket" | "http" {
  const key = `${app}:transport`;
  const requested = new URLSearchParams(location.search).get("transport");
  if (requested) sessionStorage.setItem(key, requested);
  return sessionStorage.getItem(key) === "http" ? "http" : "socket";
}
