// Placeholder until the sync library and demo app land: shows that the page is served through the gateway.
const health = document.querySelector<HTMLParagraphElement>("#health");

async function checkGateway(): Promise<void> {
  const response = await fetch("/.well-known/openid-configuration");
  if (health) {
    health.textContent = response.ok ? "Gateway and Auth are reachable." : `The gateway answered ${response.status}.`;
  }
}

void checkGateway();
