using System.Buffers.Binary;
using Services.Sync.Changes;
using SyncEngine.Testing;
using Xunit;
using static Services.Sync.Changes.LoroEnvelope;

namespace Services.Sync.Tests;

/// <summary>Against exports loro-crdt 1.17.1 wrote itself (LoroVectors/generate.mjs), then tampered with.</summary>
public sealed class LoroEnvelopeTests
{
    private static byte[] WithMode(byte[] export, ushort mode)
    {
        var tampered = export.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(tampered.AsSpan(20, 2), mode);
        BinaryPrimitives.WriteUInt32LittleEndian(tampered.AsSpan(16, 4), Checksum(tampered));
        return tampered;
    }

    [Fact]
    public void loros_own_update_and_snapshot_exports_are_valid_for_their_routes_and_carry_the_modes_loro_writes()
    {
        var update = LoroExports.Vector("update.bin");
        var snapshot = LoroExports.Vector("snapshot.bin");

        Assert.Equal(Verdict.Valid, Check(update, Mode.FastUpdates));
        Assert.Equal(Verdict.Valid, Check(snapshot, Mode.FastSnapshot));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16BigEndian(update.AsSpan(20, 2)));
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(snapshot.AsSpan(20, 2)));
    }

    [Fact]
    public void an_intact_export_of_the_other_kind_is_the_wrong_mode()
    {
        Assert.Equal(Verdict.WrongMode, Check(LoroExports.Vector("snapshot.bin"), Mode.FastUpdates));
        Assert.Equal(Verdict.WrongMode, Check(LoroExports.Vector("update.bin"), Mode.FastSnapshot));
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)1)]
    [InlineData((ushort)2)]
    [InlineData((ushort)5)]
    [InlineData((ushort)0x0400)]
    [InlineData(ushort.MaxValue)]
    public void a_mode_loro_does_not_export_is_corrupt_even_with_a_recomputed_checksum(ushort mode)
    {
        var tampered = WithMode(LoroExports.Vector("update.bin"), mode);

        Assert.Equal(Verdict.Corrupt, Check(tampered, Mode.FastUpdates));
        Assert.Equal(Verdict.Corrupt, Check(tampered, Mode.FastSnapshot));
    }

    [Fact]
    public void the_recomputed_checksum_helper_matches_loros_own()
    {
        Assert.Equal(Verdict.Valid, Check(WithMode(LoroExports.Vector("update.bin"), 4), Mode.FastUpdates));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(19)]
    [InlineData(20)]
    [InlineData(21)]
    public void a_checksum_or_mode_byte_flipped_is_corrupt(int index)
    {
        var tampered = LoroExports.Vector("update.bin");
        tampered[index] ^= 0x01;

        Assert.Equal(Verdict.Corrupt, Check(tampered, Mode.FastUpdates));
    }

    [Fact]
    public void a_flipped_body_byte_is_corrupt()
    {
        var tampered = LoroExports.Vector("snapshot.bin");
        tampered[^1] ^= 0x80;

        Assert.Equal(Verdict.Corrupt, Check(tampered, Mode.FastSnapshot));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(21)]
    [InlineData(30)]
    public void a_body_cut_short_is_corrupt(int length)
    {
        Assert.Equal(Verdict.Corrupt, Check(LoroExports.Vector("snapshot.bin")[..length], Mode.FastSnapshot));
    }

    [Fact]
    public void non_zero_bytes_where_loro_writes_zeros_are_corrupt()
    {
        var tampered = LoroExports.Vector("update.bin");
        tampered[10] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(tampered.AsSpan(16, 4), Checksum(tampered));

        Assert.Equal(Verdict.Corrupt, Check(tampered, Mode.FastUpdates));
    }

    [Theory]
    [InlineData("")]
    [InlineData("lor")]
    [InlineData("{\"items\":[]}")]
    [InlineData("LORO and more")]
    public void bytes_without_the_magic_are_some_other_format(string text)
    {
        Assert.Equal(Verdict.NotLoro, Check(System.Text.Encoding.UTF8.GetBytes(text), Mode.FastUpdates));
    }
}
