using Microsoft.AspNetCore.Mvc;

namespace SyncEngine.ServiceDefaults.Problems;

/// <summary>
/// The problem an exception stands for when it is the client's doing, or null when it is not. Registered as a service
/// by the project that knows the library throwing it, so these defaults need not reference every library a process uses.
/// </summary>
public delegate ProblemDetails? ClientFault(Exception exception);
