namespace SyncEngine.Testing;

public static class TestData
{
    /// <summary>Bytes that differ by <paramref name="seed"/>, so two changes never compare equal by accident.</summary>
    public static byte[] Bytes(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)((i * 31 + seed) % 251)).ToArray();
}
