using System.CommandLine;
using System.Text.Json;

namespace SyncEngine.Cli.Output;

/// <summary>What a command prints: the API's JSON with <c>--json</c>, otherwise aligned columns for people.</summary>
public static class Printer
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static TextWriter Out(this ParseResult parse) => parse.InvocationConfiguration.Output;

    public static void Json<T>(this ParseResult parse, T value) => parse.Out().WriteLine(JsonSerializer.Serialize(value, Indented));

    /// <summary>Columns padded to their widest cell; the header in capitals.</summary>
    public static void Table(this ParseResult parse, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => all.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var output = parse.Out();
        output.WriteLine(Line(headers.Select(h => h.ToUpperInvariant()).ToList(), widths));
        foreach (var row in all)
        {
            output.WriteLine(Line(row, widths));
        }

        if (all.Count == 0)
        {
            output.WriteLine("(none)");
        }
    }

    /// <summary>One item as "name: value" lines, the names aligned.</summary>
    public static void Fields(this ParseResult parse, IEnumerable<(string Name, string Value)> fields)
    {
        var list = fields.ToList();
        var width = list.Max(f => f.Name.Length) + 1;
        foreach (var (name, value) in list)
        {
            parse.Out().WriteLine($"{(name + ":").PadRight(width)} {value}");
        }
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
