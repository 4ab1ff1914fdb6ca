namespace SyncEngine.LoadTest;

/// <summary>Latency samples in milliseconds and what they add up to.</summary>
public sealed class Stats
{
    private readonly List<double> _samples = [];

    public int Count { get { lock (_samples) { return _samples.Count; } } }

    public void Add(double milliseconds)
    {
        lock (_samples)
        {
            _samples.Add(milliseconds);
        }
    }

    public double Percentile(double p)
    {
        lock (_samples)
        {
            if (_samples.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _samples.Order().ToList();
            return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
        }
    }

    public string Summary => $"p50 {Percentile(50):0.0} ms, p95 {Percentile(95):0.0} ms, p99 {Percentile(99):0.0} ms";
}
