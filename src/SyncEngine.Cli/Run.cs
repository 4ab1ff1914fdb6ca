using System.CommandLine;
using SyncEngine.Client;

namespace SyncEngine.Cli;

/// <summary>
/// Runs a command's body as an operator: exit 0 on success, 1 with one line on stderr (the problem's status, code and
/// detail) when the deployment refuses or cannot be reached, so scripts can test <c>$?</c> and people read why.
/// </summary>
public static class Run
{
    public static void AsOperator(this Command command, Func<Operator, ParseResult, CancellationToken, Task> body) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                using var signedIn = await Connection.SignInAsync(parse, ct);
                await body(signedIn, parse, ct);
                return 0;
            }
            catch (CliException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
            catch (SyncEngineApiException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {(int)e.Status} {e.Code ?? e.Status.ToString()}: {e.Detail}");
                return 1;
            }
            catch (HttpRequestException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: the deployment did not answer: {e.Message}");
                return 1;
            }
        });
}
