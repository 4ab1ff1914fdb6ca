using System.Globalization;

namespace SyncEngine.EndToEnd.Tests;

/// <summary>
/// Reads each Sync replica's own Prometheus endpoint (<c>/metrics</c>) at its direct address: each replica counts only
/// what it served, so which replica took a request shows in its counters.
/// </summary>
public static class ReplicaMetrics
{
    /// <summary>One scrape per replica, by address.</summary>
    public static async Task<IReadOnlyDictionary<Uri, string>> ScrapeAsync(IEnumerable<Uri> replicas, CancellationToken ct)
    {
        var scrapes = new Dictionary<Uri, string>();
        foreach (var replica in replicas)
        {
            using var client = new HttpClient { BaseAddress = replica };
            scrapes[replica] = await client.GetStringAsync("/metrics", ct);
        }

        return scrapes;
    }

    /// <summary>
    /// The sum of every series of <paramref name="name"/> whose labels include all of <paramref name="labels"/> (label
    /// order and other labels, such as the meter's scope, are the exporter's business); 0 when there is none yet.
    /// </summary>
    public static double Sum(string exposition, string name, params (string Label, string Value)[] labels)
    {
        double total = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal)
                || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            var rest = line[name.Length..];
            var seriesLabels = "";
            if (rest.StartsWith('{'))
            {
                var close = rest.IndexOf('}');
                seriesLabels = rest[1..close];
                rest = rest[(close + 1)..];
            }

            if (labels.All(l => seriesLabels.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                total += double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    public static double Sum(IReadOnlyDictionary<Uri, string> scrapes, string name, params (string Label, string Value)[] labels) =>
        scrapes.Values.Sum(text => Sum(text, name, labels));
}
