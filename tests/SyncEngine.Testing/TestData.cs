namespace SyncEngine.Testing;

/// <summary>Document bytes for tests: arbitrary ones, and the exports loro-crdt itself wrote (LoroVectors/generate.mjs).</summary>
public static class TestData
{
    /// <summary>Bytes that differ by <paramref name="seed"/>, so two changes never compare equal by accident.</summary>
    public static byte[] Bytes(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)((i * 31 + seed) % 251)).ToArray();

    /// <summary>A Loro export copied beside the tests (the project links tests/SyncEngine.EndToEnd.Tests/LoroVectors/*.bin).</summary>
    public static byte[] LoroVector(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "LoroVectors", name));
}
